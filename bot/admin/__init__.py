"""Programme and grantee administration: files in, rounds by hand, exports out."""
