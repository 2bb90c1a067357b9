"""Exports in the background (issue 20): an export with more rows than the
EXPORT_BACKGROUND_ROWS setting is written by a Celery task, page by page, while
the page shows its progress; the file is its requester's alone and is removed
after a day. At the top of the apps: it composes their export builders."""
