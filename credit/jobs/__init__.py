"""Workers: the face that runs queued jobs (``python -m credit worker``); see docs/jobs.md."""
