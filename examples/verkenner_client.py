#!/usr/bin/env python3
"""A small client of Verkenner's JSON API that a municipality can copy into its own integration.

It uses Python's standard library only. It authenticates as a program does: an API token made by
the operator (`verkenner-admin --store=... create-token --email=...`) in the header
`authorization: Bearer <token>`, with no cookie and no CSRF token. See docs/API.md.

    VERKENNER_URL=https://verkenner.example VERKENNER_TOKEN=... \\
      examples/verkenner_client.py upload export.csv --import-id export-2026-12-04
    examples/verkenner_client.py status export-2026-12-04
    examples/verkenner_client.py call SessionService/GetCurrentAccount '{}'
    examples/verkenner_client.py search --postcode "3511 AB" --text orderpicker

The token is read from $VERKENNER_TOKEN (or --token-file), never from the command line, where
other users of the machine could read it. Exit status: 0 done, 1 the server refused or failed
(its error printed on stderr), 2 usage error.
"""

import argparse
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class ApiError(Exception):
    """An error answer (docs/API.md, Errors). The body is a google.rpc.Status; a program acts on
    its details, never on the message, which is for people:
      code             the google.rpc.Code number (3 INVALID_ARGUMENT, 9 FAILED_PRECONDITION, ...)
      reason           ErrorInfo's reason: REQUEST_NOT_CLAIMED, SEARCH_QUOTA_EXCEEDED, ...
      field_violations BadRequest's (field, description) pairs for an invalid request
      retry_after      RetryInfo's delay in seconds (or the Retry-After header), else None"""

    def __init__(self, status, body, retry_after_header=None):
        self.status = status
        try:
            error = json.loads(body)
        except ValueError:
            error = {}
        self.code = error.get("code", 2)
        self.message = error.get("message", body[:200].decode("utf-8", "replace"))
        self.reason = ""
        self.field_violations = []
        self.retry_after = float(retry_after_header) if retry_after_header else None
        for detail in error.get("details", []):
            kind = detail.get("@type", "").rsplit("/", 1)[-1]
            if kind == "google.rpc.ErrorInfo":
                self.reason = detail.get("reason", "")
            elif kind == "google.rpc.BadRequest":
                self.field_violations += [(v.get("field", ""), v.get("description", ""))
                                          for v in detail.get("fieldViolations", [])]
            elif kind == "google.rpc.RetryInfo":
                # A google.protobuf.Duration in JSON: "30s", "1.5s".
                self.retry_after = float(detail.get("retryDelay", "0s").rstrip("s"))
        super().__init__(f"HTTP {status} {self.reason or self.code}: {self.message}")


class Client:
    def __init__(self, base_url, token, timeout=60):
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout = timeout

    def _post(self, path, body, content_type):
        request = urllib.request.Request(
            self.base_url + path, data=body, method="POST",
            headers={"Authorization": "Bearer " + self.token, "Content-Type": content_type})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                return json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            raise ApiError(error.code, error.read(), error.headers.get("Retry-After")) from None

    def call(self, method, request=None):
        """POST /api/v1/<Service>/<Method> with the request message in protobuf's JSON mapping
        (camelCase names, enums by name, int64 as strings); returns the response as a dict."""
        return self._post("/api/v1/" + method, json.dumps(request or {}).encode(),
                          "application/json")

    def upload(self, path, import_id, mode="INCREMENTAL"):
        """Sends a CSV (.csv) or JSON Lines (.jsonl) export as one import; returns its id. The
        import runs on after the answer: follow it with wait()."""
        query = urllib.parse.urlencode(
            {"import_id": import_id, "mode": mode, "file_name": os.path.basename(path)})
        with open(path, "rb") as f:
            data = f.read()
        content_type = "text/csv" if path.endswith(".csv") else "application/x-ndjson"
        return self._post("/api/v1/imports?" + query, data, content_type)["importId"]

    def wait(self, import_id, poll=1.0, limit=3600):
        """Polls GetImport until the import has ended; returns its report."""
        deadline = time.monotonic() + limit
        while True:
            report = self.call("ProfileImportService/GetImport", {"importId": import_id})["report"]
            if report.get("state") != "IMPORT_STATE_RUNNING" or time.monotonic() > deadline:
                return report
            time.sleep(poll)


def read_token(args):
    if args.token_file:
        with open(args.token_file) as f:
            return f.read().strip()
    token = os.environ.get("VERKENNER_TOKEN", "")
    if not token:
        sys.exit("verkenner_client: set VERKENNER_TOKEN or pass --token-file (an API token "
                 "from verkenner-admin create-token)")
    return token


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default=os.environ.get("VERKENNER_URL", "http://127.0.0.1:8080"),
                        help="the server's web address (default $VERKENNER_URL or "
                             "http://127.0.0.1:8080)")
    parser.add_argument("--token-file", help="a file holding the API token")
    commands = parser.add_subparsers(dest="command", required=True)
    upload = commands.add_parser("upload", help="send an export and wait for its report")
    upload.add_argument("file", help="a .csv or .jsonl export (docs/import-format.md)")
    upload.add_argument("--import-id", required=True,
                        help="the import's idempotency key: sending the same id again after "
                             "it succeeded applies nothing and answers with its report")
    upload.add_argument("--mode", choices=["INCREMENTAL", "FULL_SYNC"], default="INCREMENTAL")
    upload.add_argument("--no-wait", action="store_true", help="do not wait for the report")
    status = commands.add_parser("status", help="an import's report")
    status.add_argument("import_id")
    call = commands.add_parser("call", help="any method, e.g. SessionService/GetCurrentAccount")
    call.add_argument("method")
    call.add_argument("request", nargs="?", default="{}", help="the request as JSON")
    search = commands.add_parser("search", help="anonymous profiles near a workplace")
    search.add_argument("--postcode", required=True)
    search.add_argument("--text", default="")
    search.add_argument("--page-size", type=int, default=10)
    args = parser.parse_args()

    client = Client(args.url, read_token(args))
    try:
        if args.command == "upload":
            import_id = client.upload(args.file, args.import_id, args.mode)
            result = {"importId": import_id}
            if not args.no_wait:
                result = client.wait(import_id)
        elif args.command == "status":
            result = client.call("ProfileImportService/GetImport",
                                 {"importId": args.import_id})["report"]
        elif args.command == "call":
            result = client.call(args.method, json.loads(args.request))
        else:
            vacancy = {"workplace": {"postcode": args.postcode}}
            if args.text:
                vacancy["text"] = args.text
            result = client.call("CandidateSearchService/SearchCandidates",
                                 {"vacancy": vacancy, "pageSize": args.page_size})
    except ApiError as error:
        hint = f" (retry after {error.retry_after:g} s)" if error.retry_after else ""
        print(f"verkenner_client: {error}{hint}", file=sys.stderr)
        for field, description in error.field_violations:
            print(f"  {field}: {description}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as error:
        print(f"verkenner_client: {error}", file=sys.stderr)
        return 1
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
