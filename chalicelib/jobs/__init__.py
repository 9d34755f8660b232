"""Event-driven functions: SQS consumers and EventBridge schedules, as Chalice blueprints."""
