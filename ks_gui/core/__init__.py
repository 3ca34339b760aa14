"""The domain: recordings, jobs, containers, progress. Never imports Qt."""
