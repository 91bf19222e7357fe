"""The one path every channel's messages take: route, lock, load, step, save, send."""
