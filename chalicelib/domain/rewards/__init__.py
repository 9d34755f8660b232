"""Rewards handed out: `handout` (acquire, with `grants` and `new_rewards`), Mokugift `issuing`
(its `recipients` and `queries`), the `sandbox`, the reward as a value (`reward`), its `links`,
its email (`email_content`, `deliveries`) and the outbox sweep (`owed_emails`)."""
