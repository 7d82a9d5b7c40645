"""Drives a real verkenner-server with Python's grpcio: an independent client of the v1 API.

The C++ tests use the same generated C++ stubs as the server, so a mistake that both sides share
(a renamed field, a wrong method path, metadata the server reads differently than documented)
passes them. This client knows only the .proto files, the programs and the documented contract.

The fixture is built once for the suite with the programs themselves, as an operator would:
verkenner-generate writes synthetic profiles, verkenner-index builds an index, verkenner-admin
creates the accounts and tokens, and verkenner-server serves on a port the OS picks. The CMake
registration (tests/python/CMakeLists.txt) passes the programs' paths in the environment.
"""

import datetime
import os
import queue
import re
import shutil
import subprocess
import tempfile
import threading
import time
import unittest

import grpc
from google.protobuf import descriptor_pb2

from google.rpc import error_details_pb2, status_pb2
from health.v1 import health_pb2, health_pb2_grpc
from reflection.v1alpha import reflection_pb2, reflection_pb2_grpc
from verkenner.v1 import contact_requests_pb2 as requests_pb2
from verkenner.v1 import contact_requests_pb2_grpc as requests_grpc
from verkenner.v1 import common_pb2, search_pb2, search_pb2_grpc
from verkenner.v1 import sessions_pb2, sessions_pb2_grpc

PROFILES = 300
# All profiles come from Utrecht, so that a workplace in Utrecht is within reach of many.
SOURCE = "GM0344"
WORKPLACE_POSTCODE = "3511 AB"
EMPLOYER_EMAIL = "werving@pythonbakkerij.example"
EMPLOYER_ORGANISATION = "Bakkerij Pythonstraat"
PASSWORD = "lange zin als wachtwoord, 42 tekens of zo"
# Every call gets a deadline, so that a server that stops answering fails the test instead of
# hanging it until CTest's timeout.
CALL_TIMEOUT_SECONDS = 10
STARTUP_TIMEOUT_SECONDS = 30
# The session token contract: 256 random bits, base64url without padding.
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")
VERKENNER_SERVICES = {
    "verkenner.v1.CandidateSearchService",
    "verkenner.v1.SessionService",
    "verkenner.v1.ContactRequestService",
}


def program(variable):
    path = os.environ.get(variable)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"{variable} must name the built program (set by CTest)")
    return path


def run(args, stdin=None):
    """Runs a command-line program; returns its stdout, or raises with its stderr."""
    result = subprocess.run(args, input=stdin, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(
            f"{os.path.basename(args[0])} exited with {result.returncode}: {result.stderr}")
    return result.stdout


def bearer(token):
    return (("authorization", f"Bearer {token}"),)


class ServerProcess:
    """verkenner-server as a child process, listening on a port the OS chose."""

    def __init__(self, args, stderr_path):
        self._stderr_path = stderr_path
        with open(stderr_path, "wb") as stderr:
            self._process = subprocess.Popen(
                args, stdout=subprocess.PIPE, stderr=stderr, text=True)
        # A thread drains stdout for as long as the server runs, so that the pipe never fills
        # and wait_for_port() can time out instead of blocking in readline().
        self._lines = queue.Queue()
        threading.Thread(target=self._read_stdout, daemon=True).start()

    def _read_stdout(self):
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def wait_for_port(self):
        """The port from the server's readiness line; raises if it exits or takes too long."""
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            try:
                line = self._lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                raise RuntimeError(
                    f"verkenner-server not ready after {STARTUP_TIMEOUT_SECONDS} s") from None
            if line is None:
                self._process.wait()
                with open(self._stderr_path, encoding="utf-8", errors="replace") as stderr:
                    raise RuntimeError(f"verkenner-server exited with "
                                       f"{self._process.returncode}: {stderr.read()}")
            match = re.fullmatch(r"verkenner-server: serving on port (\d+)\n", line)
            if match:
                return int(match.group(1))

    def stop(self):
        # SIGTERM first: the server finishes calls in flight and closes its store cleanly.
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._process.stdout.close()


class GrpcClientTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        # Class cleanups run also when setUpClass fails half-way, unlike tearDownClass.
        directory = tempfile.mkdtemp(prefix="verkenner-python-grpc-")
        cls.addClassCleanup(shutil.rmtree, directory, ignore_errors=True)

        key_file = os.path.join(directory, "pseudonym.key")
        with os.fdopen(os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(os.urandom(32))

        # The generator's dates are relative to its reference date; the server's "today" is
        # the clock, so both must agree for registrations to be current.
        export = os.path.join(directory, "export.csv")
        run([program("VERKENNER_GENERATE_BINARY"), "--count", str(PROFILES), "--seed", "7",
             "--format", "csv", "--sources", SOURCE, "--output", export,
             "--reference-date", datetime.date.today().isoformat()])
        index = os.path.join(directory, "index")
        run([program("VERKENNER_INDEX_BINARY"), "--index", index,
             "--vault", os.path.join(directory, "vault.db"), "--key_file", key_file,
             "--shards", "1", export])

        cls.store = os.path.join(directory, "store.db")
        cls.employer_token = cls.create_account(
            EMPLOYER_EMAIL, "Fatima de Vries", "employer", EMPLOYER_ORGANISATION,
            password=PASSWORD)

        server = ServerProcess(
            [program("VERKENNER_SERVER_BINARY"), "--index", index, "--store", cls.store,
             "--listen", "127.0.0.1:0", "--search_threads", "1"],
            os.path.join(directory, "server.stderr"))
        cls.addClassCleanup(server.stop)
        port = server.wait_for_port()
        # An http_proxy in the environment would otherwise route even 127.0.0.1 through it.
        cls.channel = grpc.insecure_channel(f"127.0.0.1:{port}",
                                            options=[("grpc.enable_http_proxy", 0)])
        cls.addClassCleanup(cls.channel.close)
        cls.search = search_pb2_grpc.CandidateSearchServiceStub(cls.channel)
        cls.sessions = sessions_pb2_grpc.SessionServiceStub(cls.channel)
        cls.requests = requests_grpc.ContactRequestServiceStub(cls.channel)

        # A profile to ask about, and an account manager of the WSP that follows it up.
        found = cls.search.SearchCandidates(
            search_pb2.SearchCandidatesRequest(page_size=1),
            metadata=bearer(cls.employer_token), timeout=CALL_TIMEOUT_SECONDS)
        if len(found.matches) != 1:
            raise RuntimeError(f"expected a profile in the index, got {found}")
        cls.profile = found.matches[0].profile
        region = cls.profile.area.labour_market_region_code
        cls.wsp_token = cls.create_account(
            "accountmanager@wsp.example", "Jan Jansen", "wsp", f"WSP {region}", region=region)

    @classmethod
    def create_account(cls, email, name, role, organisation, region=None, password=None):
        """Creates an account with verkenner-admin; returns a new API token for it."""
        admin = program("VERKENNER_ADMIN_BINARY")
        args = [admin, "--store", cls.store, "create-account", "--email", email, "--name", name,
                "--role", role, "--organisation", organisation]
        if region:
            args += ["--region", region]
        if password:
            args.append("--password_stdin")
        run(args, stdin=f"{password}\n" if password else None)
        return run([admin, "--store", cls.store, "create-token", "--email", email]).strip()

    def assert_code(self, code, call, request, **kwargs):
        """Makes a call that must fail with `code`; returns the error for further checks."""
        with self.assertRaises(grpc.RpcError) as raised:
            call(request, timeout=CALL_TIMEOUT_SECONDS, **kwargs)
        self.assertEqual(raised.exception.code(), code, raised.exception.details())
        return raised.exception

    def test_calls_without_a_valid_token_are_unauthenticated(self):
        cases = {
            "no token": (),
            "malformed token": bearer("not-a-token"),
            "well-formed, never issued": bearer("A" * 43),
            "valid token without the Bearer scheme": (("authorization", self.employer_token),),
            "valid token with another scheme": (("authorization",
                                                 f"Basic {self.employer_token}"),),
        }
        for case, metadata in cases.items():
            with self.subTest(case):
                self.assert_code(grpc.StatusCode.UNAUTHENTICATED, self.search.SearchCandidates,
                                 search_pb2.SearchCandidatesRequest(), metadata=metadata)
                self.assert_code(grpc.StatusCode.UNAUTHENTICATED,
                                 self.sessions.GetCurrentAccount,
                                 sessions_pb2.GetCurrentAccountRequest(), metadata=metadata)

    def test_login_gives_a_session_token_and_a_wrong_password_is_unauthenticated(self):
        session = self.sessions.CreateSession(
            sessions_pb2.CreateSessionRequest(email=EMPLOYER_EMAIL, password=PASSWORD),
            timeout=CALL_TIMEOUT_SECONDS)
        self.assertRegex(session.session_token, TOKEN_PATTERN)
        self.assertEqual(len(session.session_token), 43)
        # Sessions last 12 hours at the most.
        self.assertGreater(session.expire_time.seconds, time.time())
        self.assertLessEqual(session.expire_time.seconds, time.time() + 12 * 3600)

        me = self.sessions.GetCurrentAccount(
            sessions_pb2.GetCurrentAccountRequest(), metadata=bearer(session.session_token),
            timeout=CALL_TIMEOUT_SECONDS).account
        self.assertEqual(me.role, sessions_pb2.ACCOUNT_ROLE_EMPLOYER)
        self.assertEqual(me.organisation_name, EMPLOYER_ORGANISATION)
        self.assertEqual(me.email, EMPLOYER_EMAIL)
        self.assertEqual(me.display_name, "Fatima de Vries")
        self.assertTrue(me.name.startswith("accounts/"), me.name)
        self.assertEqual(me.labour_market_region_code, "")  # employers have no region
        self.assertTrue(me.HasField("searches"))

        self.assert_code(grpc.StatusCode.UNAUTHENTICATED, self.sessions.CreateSession,
                         sessions_pb2.CreateSessionRequest(email=EMPLOYER_EMAIL,
                                                           password=PASSWORD + "!"))

    def test_search_with_a_workplace_returns_ranked_matches_and_facet_counts(self):
        facets = [search_pb2.FACET_LABOUR_MARKET_REGION, search_pb2.FACET_DISTANCE_BAND]
        response = self.search.SearchCandidates(
            search_pb2.SearchCandidatesRequest(
                vacancy=search_pb2.Vacancy(
                    workplace=common_pb2.Location(postcode=WORKPLACE_POSTCODE)),
                page_size=10, facets=facets),
            metadata=bearer(self.employer_token), timeout=CALL_TIMEOUT_SECONDS)

        self.assertGreater(len(response.matches), 0)
        self.assertLessEqual(len(response.matches), 10)
        self.assertGreaterEqual(response.total_size, len(response.matches))
        if response.total_size > len(response.matches):
            self.assertNotEqual(response.next_page_token, "")
        ids = [match.profile.profile_id for match in response.matches]
        self.assertNotIn("", ids)
        self.assertEqual(len(set(ids)), len(ids), "a profile appears once per page")
        for match in response.matches:
            self.assertNotEqual(match.distance_band, common_pb2.DISTANCE_BAND_UNSPECIFIED)
            self.assertGreaterEqual(match.score, 0)
            self.assertLessEqual(match.score, 100)
        scores = [match.score for match in response.matches]
        self.assertEqual(scores, sorted(scores, reverse=True), "best match first")

        self.assertEqual([result.facet for result in response.facets], facets)
        for result in response.facets:
            counts = [value.count for value in result.values]
            self.assertTrue(all(count > 0 for count in counts), result)
            self.assertEqual(counts, sorted(counts, reverse=True), "largest count first")
            # Every match has exactly one region and, with a workplace, one distance band.
            self.assertEqual(sum(counts), response.total_size, result)

    def test_a_negative_page_size_is_an_invalid_argument_and_a_large_one_is_reduced(self):
        error = self.assert_code(
            grpc.StatusCode.INVALID_ARGUMENT, self.search.SearchCandidates,
            search_pb2.SearchCandidatesRequest(page_size=-1),
            metadata=bearer(self.employer_token))
        self.assertTrue(error.details().startswith("page_size:"), error.details())
        # AIP-158: above the maximum (100) is read as the maximum, not refused.
        response = self.search.SearchCandidates(
            search_pb2.SearchCandidatesRequest(page_size=101),
            metadata=bearer(self.employer_token))
        self.assertLessEqual(len(response.matches), 100)
        self.assertEqual(len(response.matches), min(100, response.total_size))

    def details_of(self, error):
        """The google.rpc.Status of an error's grpc-status-details-bin trailer, decoded with stubs
        of the vendored google/rpc protos, as any gRPC client of the API would (AIP-193)."""
        for key, value in error.trailing_metadata() or ():
            if key == "grpc-status-details-bin":
                return status_pb2.Status.FromString(value)
        self.fail(f"no grpc-status-details-bin on {error.code()}: {error.details()}")

    @staticmethod
    def unpacked(status, detail_type):
        found = []
        for detail in status.details:
            message = detail_type()
            if detail.Unpack(message):
                found.append(message)
        return found

    def test_errors_carry_their_reason_and_the_field_at_fault_as_details(self):
        error = self.assert_code(
            grpc.StatusCode.INVALID_ARGUMENT, self.search.SearchCandidates,
            search_pb2.SearchCandidatesRequest(page_size=-1),
            metadata=bearer(self.employer_token))
        status = self.details_of(error)
        self.assertEqual(status.code, grpc.StatusCode.INVALID_ARGUMENT.value[0])
        self.assertEqual(status.message, error.details())
        [info] = self.unpacked(status, error_details_pb2.ErrorInfo)
        self.assertEqual((info.domain, info.reason), ("verkenner.nl", "INVALID_ARGUMENT"))
        [bad_request] = self.unpacked(status, error_details_pb2.BadRequest)
        self.assertEqual([v.field for v in bad_request.field_violations], ["page_size"])
        # A cause of its own under a code with several: an API token is not logged out.
        error = self.assert_code(
            grpc.StatusCode.FAILED_PRECONDITION, self.sessions.DeleteSession,
            sessions_pb2.DeleteSessionRequest(), metadata=bearer(self.employer_token))
        [info] = self.unpacked(self.details_of(error), error_details_pb2.ErrorInfo)
        self.assertEqual(info.reason, "API_TOKEN_NOT_REVOCABLE")
        self.assertEqual(self.unpacked(self.details_of(error), error_details_pb2.RetryInfo), [])

    def test_a_contact_request_reaches_the_regions_wsp_and_its_shared_note_the_employer(self):
        create = requests_pb2.CreateContactRequestRequest(
            request_id="python-client-1",
            profile_id=self.profile.profile_id,
            vacancy=requests_pb2.ContactRequestVacancy(
                title="Medewerker inpak",
                hours=common_pb2.HoursRange(min_hours=16, max_hours=24),
                workplace=common_pb2.Location(postcode=WORKPLACE_POSTCODE)),
            message="Wij zoeken iemand voor de ochtendploeg.",
            contact_person=requests_pb2.EmployerContact(
                name="Anna Bakker", email="anna@pythonbakkerij.example"))
        employer = bearer(self.employer_token)
        wsp = bearer(self.wsp_token)
        created = self.requests.CreateContactRequest(
            create, metadata=employer, timeout=CALL_TIMEOUT_SECONDS).contact_request
        self.assertEqual(created.status, requests_pb2.CONTACT_REQUEST_STATUS_NEW)
        self.assertTrue(created.name.startswith("contactRequests/"), created.name)
        self.assertEqual(created.profile_id, self.profile.profile_id)
        self.assertEqual(created.labour_market_region_code,
                         self.profile.area.labour_market_region_code)
        self.assertEqual(created.employer_organisation_name, EMPLOYER_ORGANISATION)
        retried = self.requests.CreateContactRequest(
            create, metadata=employer, timeout=CALL_TIMEOUT_SECONDS).contact_request
        self.assertEqual(retried.name, created.name)

        queue_page = self.requests.ListRegionContactRequests(
            requests_pb2.ListRegionContactRequestsRequest(
                assignment=requests_pb2.ASSIGNMENT_FILTER_UNASSIGNED),
            metadata=wsp, timeout=CALL_TIMEOUT_SECONDS)
        self.assertIn(created.name, [request.name for request in queue_page.contact_requests])
        self.assertEqual(queue_page.total_size, 1)

        claimed = self.requests.ClaimContactRequest(
            requests_pb2.ClaimContactRequestRequest(name=created.name),
            metadata=wsp, timeout=CALL_TIMEOUT_SECONDS).contact_request
        self.assertEqual(claimed.status, requests_pb2.CONTACT_REQUEST_STATUS_IN_PROGRESS)
        self.assertEqual(claimed.assigned_to.role, sessions_pb2.ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER)
        self.assertEqual(claimed.assigned_to.display_name, "Jan Jansen")

        note = "Kandidaat gebeld via de gemeente."
        moved = self.requests.UpdateContactRequestStatus(
            requests_pb2.UpdateContactRequestStatusRequest(
                name=created.name, request_id="python-step-1",
                status=requests_pb2.CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED,
                note=note, note_audience=requests_pb2.NOTE_AUDIENCE_WSP_AND_EMPLOYER),
            metadata=wsp, timeout=CALL_TIMEOUT_SECONDS).contact_request
        self.assertEqual(moved.status, requests_pb2.CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED)
        self.assertEqual(
            [(step.from_status, step.to_status) for step in moved.status_history],
            [(requests_pb2.CONTACT_REQUEST_STATUS_UNSPECIFIED,
              requests_pb2.CONTACT_REQUEST_STATUS_NEW),
             (requests_pb2.CONTACT_REQUEST_STATUS_NEW,
              requests_pb2.CONTACT_REQUEST_STATUS_IN_PROGRESS),
             (requests_pb2.CONTACT_REQUEST_STATUS_IN_PROGRESS,
              requests_pb2.CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED)])

        seen = self.requests.GetContactRequest(
            requests_pb2.GetContactRequestRequest(name=created.name),
            metadata=employer, timeout=CALL_TIMEOUT_SECONDS).contact_request
        self.assertEqual(seen.status, requests_pb2.CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED)
        self.assertEqual(len(seen.notes), 1)
        self.assertEqual(seen.notes[0].text, note)
        self.assertEqual(seen.notes[0].audience, requests_pb2.NOTE_AUDIENCE_WSP_AND_EMPLOYER)
        self.assertEqual(seen.notes[0].status,
                         requests_pb2.CONTACT_REQUEST_STATUS_CANDIDATE_APPROACHED)
        self.assertEqual(seen.notes[0].author.role, sessions_pb2.ACCOUNT_ROLE_WSP_ACCOUNT_MANAGER)

    def test_health_check_reports_the_server_serving(self):
        health = health_pb2_grpc.HealthStub(self.channel)
        # NOT_SERVING until the index's image is loaded, which follows "serving on port" soon.
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while True:
            response = health.Check(health_pb2.HealthCheckRequest(service=""),
                                    timeout=CALL_TIMEOUT_SECONDS)
            if (response.status == health_pb2.HealthCheckResponse.SERVING
                    or time.monotonic() > deadline):
                break
            self.assertEqual(response.status, health_pb2.HealthCheckResponse.NOT_SERVING)
            time.sleep(0.1)
        self.assertEqual(response.status, health_pb2.HealthCheckResponse.SERVING)
        # health.proto: a service the server does not know is NOT_FOUND.
        self.assert_code(grpc.StatusCode.NOT_FOUND, health.Check,
                         health_pb2.HealthCheckRequest(service="verkenner.v1.NoSuchService"))

    def test_reflection_lists_the_services_and_serves_the_protos_the_client_was_built_from(self):
        reflection = reflection_pb2_grpc.ServerReflectionStub(self.channel)
        requests = [
            reflection_pb2.ServerReflectionRequest(list_services=""),
            reflection_pb2.ServerReflectionRequest(
                file_containing_symbol="verkenner.v1.CandidateSearchService"),
        ]
        listed, file_response = reflection.ServerReflectionInfo(
            iter(requests), timeout=CALL_TIMEOUT_SECONDS)

        names = {service.name for service in listed.list_services_response.service}
        self.assertLessEqual(VERKENNER_SERVICES, names)
        self.assertIn("grpc.health.v1.Health", names)

        # The server describes search.proto exactly as the file this client was generated from:
        # one proto, two compilers, no drift.
        served = {}
        for serialized in file_response.file_descriptor_response.file_descriptor_proto:
            file = descriptor_pb2.FileDescriptorProto.FromString(serialized)
            served[file.name] = file
        self.assertIn("verkenner/v1/search.proto", served)
        self.assertEqual(served["verkenner/v1/search.proto"],
                         descriptor_pb2.FileDescriptorProto.FromString(
                             search_pb2.DESCRIPTOR.serialized_pb))


if __name__ == "__main__":
    unittest.main(verbosity=2)
