"""The adversarial runtime checks: each judge fails on seeded violations; all run live."""

from __future__ import annotations

from dataclasses import replace

from atopos_protocol import VERSION
from evidence.check import CheckResult, Status
from tests.claims import test_rate_limits_hold as rate_limits_hold
from tests.claims import test_relay_fuzz as relay_fuzz
from tests.claims import test_replays_rejected as replays_rejected
from tests.claims import test_ticket_and_cap_races as ticket_and_cap_races
from tests.claims.test_rate_limits_hold import Flood, LimitRun
from tests.claims.test_relay_fuzz import FuzzRun
from tests.claims.test_replays_rejected import Replay
from tests.claims.test_ticket_and_cap_races import Race


def failed_with(result: CheckResult, *reasons: str) -> None:
    assert result.status is Status.FAIL, result
    for reason in reasons:
        assert reason in result.reasons, result.reasons


# ticket_and_cap_races -----------------------------------------------------------------

SINGLE = Race("single-use ticket", 30, 1, 1, {"ticket-used": 29}, "ticket-used", 1)
CAP = Race("tenant member cap", 12, 3, 3, {"close-4009": 9}, "close-4009", 3)


def test_races_that_admit_exactly_their_places_pass():
    result = ticket_and_cap_races.judge([SINGLE, CAP])
    assert result.passed, result.reasons
    assert result.counts["single_use_ticket_refused_ticket_used"] == 29
    assert result.counts["tenant_member_cap_admitted"] == 3


def test_a_ticket_admitted_twice_fails():
    doubled = replace(SINGLE, admitted=2, refused={"ticket-used": 28}, recorded=2)
    failed_with(
        ticket_and_cap_races.judge([doubled]),
        "single-use ticket: 2 of 30 racers admitted for 1 place(s)",
        "single-use ticket: the server recorded 2 grants for 1",
    )


def test_a_member_cap_exceeded_fails():
    over = replace(CAP, admitted=4, refused={"close-4009": 8}, recorded=4)
    failed_with(
        ticket_and_cap_races.judge([over]),
        "tenant member cap: 4 of 12 racers admitted for 3 place(s)",
    )


def test_a_use_spent_without_an_admission_fails():
    burned = replace(SINGLE, admitted=0, refused={"ticket-used": 30}, recorded=1)
    failed_with(
        ticket_and_cap_races.judge([burned]),
        "single-use ticket: only 0 of 30 racers admitted though 1 place(s) were free",
        "single-use ticket: 0 racer(s) admitted but the server recorded 1 grant(s)",
    )


def test_an_undocumented_refusal_fails():
    odd = replace(SINGLE, refused={"ticket-used": 28, "close-1011": 1})
    failed_with(
        ticket_and_cap_races.judge([odd]),
        "single-use ticket: 1 racer(s) ended with close-1011, not the documented ticket-used",
    )


def test_no_race_is_an_error_not_a_pass():
    assert ticket_and_cap_races.judge([]).status is Status.ERROR


# replays_rejected -----------------------------------------------------------------------

JOIN = Replay("join proof on a new socket", 5, {"close-4004": 5}, ("close-4004",), 0, True)
ENVELOPE = Replay(
    "envelope relayed twice", 10, {"ignored": 10}, ("ignored", "not-relayed"), 0, True
)


def test_replays_that_all_bounce_pass():
    result = replays_rejected.judge([JOIN, ENVELOPE])
    assert result.passed, result.reasons
    assert result.counts["join_proof_on_a_new_socket_rejected"] == 5


def test_an_accepted_join_replay_fails():
    accepted = replace(JOIN, outcomes={"close-4004": 4, "welcome": 1}, took_effect=1)
    failed_with(
        replays_rejected.judge([accepted]),
        "join proof on a new socket: 1 of 5 replay(s) took effect",
        "join proof on a new socket: 1 replay(s) got welcome, not close-4004",
    )


def test_a_duplicate_shown_by_the_client_fails():
    shown = replace(ENVELOPE, took_effect=2)
    failed_with(
        replays_rejected.judge([shown]),
        "envelope relayed twice: 2 of 10 replay(s) took effect",
    )


def test_a_replayed_event_answered_otherwise_fails():
    event = Replay(
        "governance event", 3, {"refused:duplicate": 2, "no-answer": 1},
        ("refused:duplicate", "refused:not-your-key"), 0, True,
    )  # fmt: skip
    failed_with(
        replays_rejected.judge([event]),
        "governance event: 1 replay(s) got no-answer, "
        "not refused:duplicate or refused:not-your-key",
    )


def test_a_replay_of_an_original_that_never_worked_proves_nothing():
    result = replays_rejected.judge([replace(JOIN, original_worked=False)])
    assert result.status is Status.ERROR
    assert "join proof on a new socket" in result.summary


# rate_limits_hold ------------------------------------------------------------------------

PARALLEL = LimitRun("parallel joins", 5, 1, 20, {"welcome": 4, "close-4029": 16}, "welcome")
MESSAGES = Flood("message flood", 20, 2, 40, 18, 4029, after_sent=3, after_received=3)


def test_limits_that_hold_pass():
    result = rate_limits_hold.judge([PARALLEL], [MESSAGES])
    assert result.passed, result.reasons
    assert (result.counts["parallel_joins_allowed"], result.counts["parallel_joins_refused"]) == (
        4,
        16,
    )


def test_a_join_limit_exceeded_fails():
    over = replace(PARALLEL, outcomes={"welcome": 6, "close-4029": 14})
    failed_with(
        rate_limits_hold.judge([over], []),
        "parallel joins: 6 of 20 attempts got through a limit of 5 (1 already spent)",
    )


def test_a_scenario_spanning_two_windows_is_allowed_the_limit_twice():
    assert rate_limits_hold.judge(
        [replace(PARALLEL, outcomes={"welcome": 6, "close-4029": 14}, windows=2)], []
    ).passed


def test_an_undocumented_refusal_of_a_join_fails():
    odd = replace(PARALLEL, outcomes={"welcome": 4, "close-4009": 16})
    failed_with(
        rate_limits_hold.judge([odd], []),
        "parallel joins: 16 attempt(s) ended with close-4009, "
        "neither welcome nor the documented close-4029",
    )


def test_a_flood_the_relay_keeps_acting_on_fails():
    flood = Flood("decline flood", 20, 1, 40, 40, None)
    failed_with(
        rate_limits_hold.judge([], [flood]),
        "decline flood: the relay acted on 41 frames of one connection, "
        "over its limit of 20 a minute",
        "decline flood: after 41 frames the connection was left open, not closed with 4029",
    )


def test_a_flood_that_silences_the_others_fails():
    failed_with(
        rate_limits_hold.judge([], [replace(MESSAGES, after_received=1)]),
        "message flood: the other members received 1 of 3 messages sent after the flood",
    )


def test_a_flood_below_the_limit_proves_nothing():
    result = rate_limits_hold.judge([], [replace(MESSAGES, sent=10, acted_on=10)])
    assert result.status is Status.ERROR


# relay_fuzz -----------------------------------------------------------------------------

CLEAN = FuzzRun(7, 300, {"random-bytes": 150, "text": 150}, {"4100": 40, "open": 3}, 40, 40)


def test_a_clean_fuzz_passes_and_records_its_seed():
    result = relay_fuzz.judge(CLEAN)
    assert result.passed, result.reasons
    assert result.details["seed"] == 7
    assert result.counts["frames_sent"] == 300


def test_a_lost_honest_message_fails():
    failed_with(
        relay_fuzz.judge(replace(CLEAN, honest_received=39, lost=["alice #3 to bob"])),
        "1 honest message(s) never arrived: alice #3 to bob",
    )


def test_a_traceback_in_the_log_fails():
    failed_with(
        relay_fuzz.judge(replace(CLEAN, log_problem_lines=3, log_problems=["ValueError"])),
        "the server printed 3 Traceback/Exception/ERROR line(s) during the fuzz (ValueError)",
    )


def test_a_plaintext_in_the_log_fails():
    failed_with(
        relay_fuzz.judge(replace(CLEAN, plaintexts_in_log=1)),
        "the server's output holds the plaintext of 1 honest message(s)",
    )


def test_a_server_that_stops_serving_fails():
    failed_with(
        relay_fuzz.judge(replace(CLEAN, new_room_after=False, honest_closed=[1011])),
        "the server did not accept a new room after the fuzz",
        "an honest member's connection was closed with 1011 during the fuzz",
    )


def test_an_undocumented_close_code_and_a_ghost_place_fail():
    failed_with(
        relay_fuzz.judge(replace(CLEAN, close_codes={"1011": 2}, ghost_places=1)),
        "2 fuzzer connection(s) closed with 1011, a code the protocol does not document",
        "1 closed fuzzer connection(s) still hold a place in the room",
    )


def test_log_findings_name_loggers_and_exceptions_only():
    text = (
        "2026-01-01 00:00:00,000 DEBUG daphne.ws_protocol: fine\n"
        "2026-01-01 00:00:00,001 ERROR rooms.hub: delivery to a member failed\n"
        "Traceback (most recent call last):\n"
        '  File "x.py", line 1, in f\n'
        "autobahn.exception.Disconnected: Attempt to send on a closed protocol\n"
    )
    assert relay_fuzz.log_findings(text) == (2, ["autobahn.exception.Disconnected", "rooms.hub"])


def test_the_plan_is_fixed_by_its_seed():
    samples = [bytes([VERSION, 0x10]) + bytes(308), bytes([VERSION, 0x02]) + bytes(144)]
    first, again = relay_fuzz.plan(11, samples), relay_fuzz.plan(11, samples)
    assert first == again
    assert sum(len(episode.frames) for episode in first) == relay_fuzz.FRAMES
    assert relay_fuzz.plan(12, samples) != first
    categories = {category for episode in first for category, _ in episode.frames}
    assert categories == set(relay_fuzz.CATEGORIES)
