"""The web check-in: a private link per grantee and check-in, answered on GOV.UK-style pages."""
