"""Answers of the Mokugift reward queries (chalicelib/api/mokugift/queries.py), mapped from the
listing's page (`queries.Listed`) and its rewards (`domain.rewards.reward.Reward`)."""

from pydantic import Field, computed_field

from chalicelib.api.mokugift.issuing_schemas import IssuedReward
from chalicelib.api.schemas import ResponseModel
from chalicelib.domain.rewards.queries import TREES_PER_REWARD


class ListedReward(IssuedReward):
    @computed_field(description="The units of value it carries (the original's trees).")
    @property
    def treeCount(self) -> int:
        return TREES_PER_REWARD


class RewardsSummary(ResponseModel):
    rewardCount: int = Field(
        validation_alias="reward_count", description="The rewards in this answer."
    )
    treeCount: int = Field(
        validation_alias="tree_count", description="Their units of value, summed."
    )


class RewardsPage(ResponseModel):
    summary: RewardsSummary
    rewards: list[ListedReward] = Field(description="Oldest first.")
    nextCursor: str | None = Field(
        validation_alias="next_cursor",
        description=(
            "Pass as `cursor` for the rest: after a page (`limit`), or when every reward would "
            "not fit one answer; null when nothing follows."
        ),
    )
