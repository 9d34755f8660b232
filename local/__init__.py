"""The local stack behind `make run`: embedded AWS, resource bootstrap, event worker, launcher.

Development only; nothing here is packaged into the Lambda deployment.
"""
