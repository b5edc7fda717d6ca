"""Resumable log streams: files by (inode, offset), the journal by cursor; access-log windows."""
