"""The domain: the job, the one sequence that checks and starts it, the run loop, the queue, settings. Never imports Qt.

sorters/ is what sorts, places/ where it runs, recordings/ what is read, results/ what is shown.
"""
