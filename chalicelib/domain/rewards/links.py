"""A reward's link: the landing page's URL token, made again from the reward (only its digest
is stored), under the store's public base URL."""

from __future__ import annotations

from chalicelib.domain.access import link_tokens
from chalicelib.domain.access.stores import Store
from chalicelib.storage.rewards import RewardModel


def reward_token(reward: RewardModel) -> str:
    """The landing page's URL token, made again from the reward's id (only its digest is kept)."""
    link = link_tokens.Link(link_tokens.REWARD, reward.store_code, reward.reward_id)
    return link_tokens.shown(link, reward.token_digest)


def reward_url(store: Store, reward: RewardModel) -> str:
    """The reward's landing page, under the store's public base URL."""
    return f"{store.public_base_url}/r/{reward_token(reward)}"
