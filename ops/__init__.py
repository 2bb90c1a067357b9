"""Operations: start-up safety checks, and backup and restore of the database
with the attachments. On top of every app and importing none: it sees the
database through SQL and the file system through MEDIA_ROOT."""
