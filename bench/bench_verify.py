"""API calls and wall time of `verify` for large organizations, against a local moto server.

Usage: python bench/bench_verify.py [--accounts 1000 5000] [--regions 3] [--workers 8]

For each size: reset the server, seed an organization with that many accounts, a trail, a
bucket with one delivered object per account and a log group with one stream per account and
region, each with one event (seeding is not timed), then run verify's checks through the
session seam and print the calls per API, per account, and the wall time. moto answers
ListAccounts with 100 accounts per page where AWS gives 20, so the script also prints the
calls AWS would need. Numbers depend on the machine; nothing here is an assertion. moto
reports no CloudWatch Logs delivery time in GetTrailStatus, so that row is a note here; it
does not change the call count. moto filters and sorts every stream of the group on each
DescribeLogStreams page and runs in this process (one GIL), so wall time here grows faster
than the call count and --workers cannot help; against AWS the pages are independent requests.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import boto3
from botocore.config import Config as BotoConfig
from moto.logs.models import logs_backends
from moto.organizations.models import FakeAccount, organizations_backends
from moto.s3.models import s3_backends
from moto.server import ThreadedMotoServer

from generator.aws.progress import Progress
from generator.aws.session import Aws
from generator.aws.verify import Options, verify
from generator.render.policies import bucket_policy
from generator.sections.registry import arns_of, load_config

MOTO_ACCOUNT = "123456789012"  # moto's default account: the management account here
REGIONS = ["us-east-1", "eu-west-1", "ap-southeast-2", "eu-central-1", "us-west-2", "sa-east-1"]
CONFIG = """organization:
  id: {org_id}
  management_account_id: "{management}"
  cloudtrail_trusted_access: already_enabled
trail:
  name: org-trail
  home_region: us-east-1
  regions: [{regions}]
bucket:
  name: bench-org-cloudtrail-logs
cloudwatch_logs:
  log_group_name: /aws/cloudtrail/org
kms:
  enabled: false
"""


def clients(url: str) -> dict[str, Any]:
    config = BotoConfig(retries={"max_attempts": 1}, max_pool_connections=16)
    return {
        name: boto3.client(
            name, region_name="us-east-1", endpoint_url=url, aws_access_key_id="bench",
            aws_secret_access_key="bench", config=config,
        )
        for name in ("organizations", "s3", "logs", "cloudtrail")
    }  # fmt: skip


def seed(url: str, accounts: int, regions: list[str], tmp: Path) -> Path:
    c = clients(url)
    orgs, s3, logs, trail = c["organizations"], c["s3"], c["logs"], c["cloudtrail"]
    org = orgs.create_organization(FeatureSet="ALL")["Organization"]
    orgs.enable_aws_service_access(ServicePrincipal="cloudtrail.amazonaws.com")
    path = tmp / "bench.yaml"
    path.write_text(
        CONFIG.format(
            org_id=org["Id"], management=org["MasterAccountId"], regions=", ".join(regions)
        ),
        encoding="utf-8",
    )
    config = load_config(path)
    s3.create_bucket(Bucket=config.bucket.name)
    logs.create_log_group(logGroupName="/aws/cloudtrail/org")
    trail.create_trail(
        Name="org-trail", S3BucketName=config.bucket.name, IsOrganizationTrail=True,
        IsMultiRegionTrail=True, EnableLogFileValidation=True,
        CloudWatchLogsLogGroupArn=f"arn:aws:logs:us-east-1:{org['MasterAccountId']}:log-group:/aws/cloudtrail/org:*",
        CloudWatchLogsRoleArn=f"arn:aws:iam::{org['MasterAccountId']}:role/CloudTrailCloudWatchLogsDelivery",
    )  # fmt: skip
    trail.start_logging(Name="org-trail")

    # Members, objects and streams go straight into moto's in-process backends: over HTTP they
    # cost about 10 ms each (minutes for 5,000 accounts). verify's own calls all go over HTTP.
    orgs_backend = organizations_backends[MOTO_ACCOUNT]["aws"]
    s3_backend = s3_backends[MOTO_ACCOUNT]["aws"]
    logs_backend = logs_backends[MOTO_ACCOUNT]["us-east-1"]

    event = {"timestamp": int(time.time() * 1000), "message": "{}"}

    def deliver(account: str) -> None:
        s3_backend.put_object(
            config.bucket.name,
            f"AWSLogs/{org['Id']}/{account}/CloudTrail/us-east-1/2026/11/27/x.json.gz",
            b"{}",
        )
        for region in regions:
            name = f"{org['Id']}_{account}_CloudTrail_{region}"
            logs_backend.create_log_stream("/aws/cloudtrail/org", name)
            # one event, so that the stream carries the lastIngestionTime verify judges by
            logs_backend.put_log_events("/aws/cloudtrail/org", name, [event])

    deliver(org["MasterAccountId"])
    organization = orgs_backend.org
    assert organization is not None  # created over HTTP above
    for i in range(accounts - 1):
        member = FakeAccount(organization, AccountName=f"a{i}", Email=f"a{i}@example.com")
        orgs_backend.accounts.append(member)
        deliver(member.id)
    s3.put_bucket_policy(
        Bucket=config.bucket.name, Policy=json.dumps(bucket_policy(arns_of(config)).to_json())
    )
    return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--regions", type=int, default=3, help="regions in trail.regions")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    regions = REGIONS[: args.regions]
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    # Only ever a local moto server: fake credentials, no profile or config file of the user's.
    os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
    os.environ.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    os.environ.pop("AWS_PROFILE", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    print(f"moto server {url}; {len(regions)} regions; {args.workers} workers", flush=True)
    try:
        for accounts in args.accounts:
            urllib.request.urlopen(urllib.request.Request(f"{url}/moto-api/reset", method="POST"))
            with tempfile.TemporaryDirectory() as tmp:
                started = time.perf_counter()
                path = seed(url, accounts, regions, Path(tmp))
                seeded = time.perf_counter() - started
                aws = Aws(region="us-east-1", endpoint_url=url)
                started = time.perf_counter()
                results = verify(
                    aws, load_config(path), Options(new_account_hours=0, workers=args.workers),
                    Progress(enabled=False),
                )  # fmt: skip
                wall = time.perf_counter() - started
            total = sum(aws.calls.values())
            failed = [r for r in results if r.status == "fail"]
            list_accounts_aws = -(-accounts // 20)
            print(
                f"\n{accounts} accounts x {len(regions)} regions = {accounts * len(regions)} "
                f"account/region pairs (seeded in {seeded:.1f} s)\n"
                f"  verify: {total} API calls, {wall:.2f} s wall; "
                f"{len(failed)} failed checks ({', '.join(sorted({r.subject for r in failed}))})"
            )
            for name, count in sorted(aws.calls.items()):
                print(f"    {name:45} {count}")
            moto_pages = aws.calls["organizations:ListAccounts"]
            with_aws = total - moto_pages + list_accounts_aws
            print(
                f"  with AWS's 20 accounts per ListAccounts page: {with_aws} API calls, "
                f"{with_aws / accounts:.3f} per account"
            )
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
