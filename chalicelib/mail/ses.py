"""Sending one email through SES (`SendEmail`, HTML with a plain-text alternative)."""

from __future__ import annotations

from email.utils import formataddr

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib import aws
from chalicelib.mail.reward_email import RewardEmail

CHARSET = "UTF-8"


class SendError(Exception):
    """SES did not accept the email; `reason` says why, for the delivery history."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def sender_address(name: str, address: str) -> str:
    """`Acme <rewards@acme.test>`; a non-ASCII name is encoded as the mail headers need."""
    return formataddr((name, address), charset="utf-8")


def send_email(source: str, recipient: str, email: RewardEmail) -> str:
    """Send `email` from `source` (an address SES has verified) and return SES's MessageId."""
    try:
        response = aws.client("ses").send_email(
            Source=source,
            Destination={"ToAddresses": [recipient]},
            Message={
                "Subject": {"Data": email.subject, "Charset": CHARSET},
                "Body": {
                    "Html": {"Data": email.html, "Charset": CHARSET},
                    "Text": {"Data": email.text, "Charset": CHARSET},
                },
            },
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        raise SendError(f"{details.get('Code', 'Error')}: {details.get('Message', '')}") from error
    except BotoCoreError as error:  # no answer at all: connection refused, timeout
        raise SendError(f"{type(error).__name__}: {error}") from error
    return str(response["MessageId"])
