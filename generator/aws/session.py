"""The one boto3 seam: clients, retries, call counting and error translation.

Why one seam: every API call of ``discover`` and ``verify`` goes through :class:`Aws`, so
retries (standard mode, throttling backoff), paginators, the call counter the benchmark and
tests read, and the rule that an AWS error is exit 3 and a permission error names the missing
permission live in one place. Nothing here prints.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from generator.core.errors import AwsError, UserError

# Error codes AWS uses for "the caller lacks a permission" across the services we call.
_DENIED = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AuthorizationError",
        "UnauthorizedOperation",
        "AccessDeniedForDependencyException",
    }
)
_THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "TooManyRequestsException",
        "SlowDown",
        "RequestLimitExceeded",
    }
)
# IAM actions whose name is not the API operation's (Service Authorization Reference, S3).
_ACTIONS = {
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadBucket"): "s3:ListBucket",
    ("s3", "ListBuckets"): "s3:ListAllMyBuckets",
    ("s3", "GetPublicAccessBlock"): "s3:GetBucketPublicAccessBlock",
    ("s3", "GetBucketEncryption"): "s3:GetEncryptionConfiguration",
    ("s3", "GetBucketLifecycleConfiguration"): "s3:GetLifecycleConfiguration",
    ("s3", "GetObjectLockConfiguration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "GetBucketNotificationConfiguration"): "s3:GetBucketNotification",
}
DEFAULT_MAX_ATTEMPTS = 10
MAX_POOL = 16


def iam_action(service: str, operation: str) -> str:
    """The IAM permission an API call needs, e.g. ``organizations:ListAccounts``."""
    return _ACTIONS.get((service, operation), f"{service}:{operation}")


class NotFound(Exception):
    """A paginated listing asked about something that does not exist (``missing`` codes)."""


class Aws:
    """Builds and caches one client per (service, region); every call goes through here.

    Why: ``--profile``, ``--region`` and ``--endpoint-url`` are applied once; without them
    botocore's own environment (``AWS_PROFILE``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL``,
    ``AWS_MAX_ATTEMPTS``) applies. Clients are thread-safe, creating them is not, hence the lock.
    """

    def __init__(
        self,
        *,
        profile: str | None = None,
        region: str | None = None,
        endpoint_url: str | None = None,
        credentials: dict[str, Any] | None = None,
        parent: Aws | None = None,
    ) -> None:
        import boto3
        import botocore.session
        from botocore.exceptions import ProfileNotFound

        keys = credentials or {}
        try:
            core = botocore.session.get_session()
            if profile:
                core.set_config_variable("profile", profile)
            self._session = boto3.Session(
                botocore_session=core,
                region_name=region,
                aws_access_key_id=keys.get("AccessKeyId"),
                aws_secret_access_key=keys.get("SecretAccessKey"),
                aws_session_token=keys.get("SessionToken"),
            )
            attempts = core.get_config_variable("max_attempts")
        except ProfileNotFound as exc:
            raise UserError(f"AWS profile (--profile or AWS_PROFILE): {exc}") from exc
        self.region: str | None = self._session.region_name
        # The named profile in use (--profile or AWS_PROFILE), None for botocore's default
        # chain: what a report names when the credentials turn out to be the wrong ones.
        self.profile: str | None = None if credentials else core.get_config_variable("profile")
        self.endpoint_url = endpoint_url
        self.max_attempts = int(attempts) if attempts else DEFAULT_MAX_ATTEMPTS
        self.calls: Counter[str] = Counter()
        self.assumed: dict[str, Aws] = {}
        self._parent = parent
        self._clients: dict[tuple[str, str | None], Any] = {}
        self._lock = threading.Lock()

    def _count(self, model: Any, **_: Any) -> None:
        key = f"{model.service_model.service_name}:{model.name}"
        with self._lock:
            self.calls[key] += 1
        if self._parent is not None:  # the report's total counts every session's calls
            self._parent._count(model)

    def assume(self, role_arn: str, session_name: str) -> Aws:
        """A session with ``role_arn``'s temporary credentials, got with STS AssumeRole here.

        Why through this seam: the AssumeRole call is counted and its errors translated like
        any other (a denied AssumeRole names ``sts:AssumeRole``), and the returned session
        counts its own calls in ``calls`` and again in this session's, so a test can tell
        which calls the role made. One session per role, created on first use.
        """
        with self._lock:
            cached = self.assumed.get(role_arn)
        if cached is not None:
            return cached
        response = self.call("sts", "assume_role", RoleArn=role_arn, RoleSessionName=session_name)
        child = Aws(
            region=self.region,
            endpoint_url=self.endpoint_url,
            credentials=(response or {}).get("Credentials", {}),
            parent=self,
        )
        with self._lock:
            return self.assumed.setdefault(role_arn, child)

    def _new_client(self, service: str, region: str | None) -> Any:
        """Create a client; tests wrap this to fake one call that moto lacks."""
        from botocore.config import Config

        config = Config(
            retries={"mode": "standard", "total_max_attempts": self.max_attempts},
            max_pool_connections=MAX_POOL,
        )
        return self._session.client(
            service, region_name=region, endpoint_url=self.endpoint_url, config=config
        )

    def client(self, service: str, region: str | None = None) -> Any:
        """The cached client for ``service`` in ``region`` (default: the session's region)."""
        from botocore.exceptions import NoRegionError, ProfileNotFound

        key = (service, region or self.region)
        with self._lock:
            if key not in self._clients:
                try:
                    client = self._new_client(service, key[1])
                except NoRegionError as exc:
                    raise UserError(
                        "no AWS region: pass --region or set AWS_DEFAULT_REGION / a profile region"
                    ) from exc
                except ProfileNotFound as exc:
                    raise UserError(f"AWS profile (--profile or AWS_PROFILE): {exc}") from exc
                except ValueError as exc:  # botocore's answer to a malformed endpoint URL
                    raise UserError(f"--endpoint-url / AWS_ENDPOINT_URL: {exc}") from exc
                client.meta.events.register("before-call", self._count)
                self._clients[key] = client
            return self._clients[key]

    def call(
        self,
        service: str,
        operation: str,
        *,
        region: str | None = None,
        missing: tuple[str, ...] = (),
        raise_missing: bool = False,
        **params: Any,
    ) -> dict[str, Any] | None:
        """One API call (``operation`` as in boto3, e.g. ``describe_organization``).

        Returns None when AWS answers with an error code listed in ``missing`` (the thing
        asked for does not exist, which the caller reports), or with ``raise_missing`` raises
        :class:`NotFound` carrying the code (for a caller that must tell two codes apart);
        any other error is an :class:`AwsError`.
        """
        client = self.client(service, region)
        response: dict[str, Any] | None = None
        with _translated(client, service, operation, missing, raise_missing=raise_missing):
            response = getattr(client, operation)(**params)
        return response

    def pages(
        self,
        service: str,
        operation: str,
        *,
        region: str | None = None,
        missing: tuple[str, ...] = (),
        **params: Any,
    ) -> Iterator[dict[str, Any]]:
        """Every page of a paginated call, through botocore's paginator.

        An error code listed in ``missing`` raises :class:`NotFound` (a listing cannot return
        "nothing" for "no such thing" without lying); others are :class:`AwsError`.
        """
        client = self.client(service, region)
        with _translated(client, service, operation, missing, raise_missing=True):
            yield from client.get_paginator(operation).paginate(**params)


@contextmanager
def _translated(
    client: Any,
    service: str,
    operation: str,
    missing: tuple[str, ...],
    *,
    raise_missing: bool = False,
) -> Iterator[None]:
    """Turn botocore's exceptions into AwsError (exit 3) naming the call and the permission.

    An error code in ``missing`` is suppressed, or raised as :class:`NotFound` with
    ``raise_missing``; everything else AWS or botocore raises becomes an :class:`AwsError`.
    """
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    api = client.meta.method_to_api_mapping.get(operation, operation)
    call = f"{service} {api}"
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = str(error.get("Code", "")), str(error.get("Message", ""))
        if code in missing:
            if raise_missing:
                raise NotFound(code) from exc
            return
        if code in _DENIED:
            raise AwsError(
                f"{call}: access denied ({code}); the credentials need the permission "
                f"{iam_action(service, api)}. AWS said: {message}"
            ) from exc
        if code in _THROTTLED:
            attempts = exc.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
            raise AwsError(
                f"{call}: still throttled after {attempts} attempts ({code}); run again "
                "later or set AWS_MAX_ATTEMPTS higher"
            ) from exc
        raise AwsError(f"{call} failed: {code}: {message}") from exc
    except NoRegionError as exc:
        raise UserError(
            f"{call}: no AWS region: pass --region or set AWS_DEFAULT_REGION / a profile region"
        ) from exc
    except (NoCredentialsError, PartialCredentialsError) as exc:
        raise AwsError(
            f"{call}: {exc}; configure credentials (AWS_PROFILE, --profile, or the "
            "environment) for the management account"
        ) from exc
    except BotoCoreError as exc:
        raise AwsError(f"{call}: {exc}") from exc
