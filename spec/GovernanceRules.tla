--------------------------- MODULE GovernanceRules ---------------------------
(***************************************************************************)
(* The governance rules of a room, one event at a time: the TLA+ rendering  *)
(* of atopos_protocol/governance/state.py (`apply`, `_apply`, `_admit`,      *)
(* `_bind`, `_redeem`, `_kick`, `_rekey`).  Every model in spec/ moves its  *)
(* log with these operators, and the trace validation (GovernanceTrace.tla) *)
(* checks that the Python `apply` agrees with them on real test runs,      *)
(* refusal codes included.                                                  *)
(*                                                                         *)
(* What is abstracted away (PROTOCOL §8.3 has the whole rule):             *)
(*  - signatures and bindings are one boolean per event (`proof`, and      *)
(*    `sigok` for a REDEEM's ticket signature): the crypto is libsodium's, *)
(*    not the model's;                                                     *)
(*  - the log size limits (`log-full`) and `wrong-room` (events the       *)
(*    models never build; trace steps refused with them are left out);     *)
(*  - an epoch's confirm value: an epoch is its counter.                   *)
(*                                                                         *)
(* A state is a record; keys are plain values (strings in the traces,      *)
(* strings in the models).                                                 *)
(***************************************************************************)
EXTENDS Integers, Sequences, FiniteSets, TLC

None == "none"
NotAnAdmin == 1000000       \* state.py NOT_AN_ADMIN
MaxMembers == 256           \* state.py MAX_MEMBERS
MaxTicketUses == 1000       \* payloads.py MAX_TICKET_USES

Rules == {"open", "approval", "invite"}   \* join_rules.py; "locked" is the flag below

\* Revocations go first in the merge walk (events.py REVOCATIONS).
Revocations == {"KICK", "DEMOTE", "REVOKE_INVITE", "LOCK", "END_ROOM"}

\* An event with every field; each kind reads the fields its payload has.
\* `point`: the ADMIT's member key or the INVITE's ticket key is a valid point;
\* `distinct`: a REKEY names no recipient twice and at most 256.
Blank == [kind |-> None, id |-> None, parent |-> None, author |-> None,
          target |-> None, xkey |-> None, ticket |-> None, uses |-> 0,
          exp |-> 0, time |-> 0, rule |-> None, cap |-> 0, counter |-> 0,
          kick |-> None, recipients |-> {}, proof |-> TRUE, sigok |-> TRUE,
          point |-> TRUE, distinct |-> TRUE]

\* initial_state(genesis): the owner alone, listed with its X25519 key.
InitialState(owner, ownerX, rule) ==
    [owner |-> owner, admins |-> << >>, members |-> {owner},
     xkeys |-> (owner :> ownerX), removed |-> {}, rule |-> rule, cap |-> 0,
     locked |-> FALSE, ended |-> FALSE, invites |-> << >>, epoch |-> 0,
     pendingKick |-> None, sealed |-> {}]
\* `invites` is a function ticket -> [uses, used, exp, revoked]; << >> is the
\* empty function.  `sealed` is who the current epoch was sealed to by the log
\* (REKEY recipients, then KEYSHARE recipients): the epoch holders the log made.

Range(seq) == {seq[i] : i \in DOMAIN seq}

IsAdmin(s, k) == k = s.owner \/ k \in Range(s.admins)

\* RoomState.seniority: 0 for the owner, then admins by promotion order.
Seniority(s, k) ==
    IF k = s.owner THEN 0
    ELSE IF k \in Range(s.admins)
         THEN CHOOSE i \in DOMAIN s.admins : s.admins[i] = k
         ELSE NotAnAdmin

Without(seq, k) == SelectSeq(seq, LAMBDA x : x # k)

Limit(s) == IF s.cap = 0 THEN MaxMembers
            ELSE IF s.cap < MaxMembers THEN s.cap ELSE MaxMembers

\* _admit: the first failing check's code, or "ok".
AdmitCode(s, m) ==
    IF s.locked THEN "room-locked"
    ELSE IF m \in s.removed THEN "member-removed"
    ELSE IF m \in s.members THEN "already-member"
    ELSE IF Cardinality(s.members) >= Limit(s) THEN "room-full"
    ELSE "ok"

Admitted(s, m, x) ==
    [s EXCEPT !.members = @ \cup {m}, !.xkeys = @ @@ (m :> x)]

\* _listed: only keys the log lists can be kicked, promoted or sent keys.
ListedCode(s, k) ==
    IF k \in s.removed THEN "member-removed"
    ELSE IF k \notin s.members THEN "not-a-member"
    ELSE "ok"

\* The code of an admin-only kind (after the common checks and IsAdmin).
AdminCode(s, e) ==
    CASE e.kind = "ADMIT" ->
            IF ~e.point THEN "malformed"
            ELSE IF ~e.proof THEN "bad-binding" ELSE AdmitCode(s, e.target)
      [] e.kind = "INVITE" ->
            IF s.locked THEN "room-locked"
            ELSE IF e.uses < 1 \/ e.uses > MaxTicketUses THEN "malformed"
            ELSE IF ~e.point THEN "malformed"
            ELSE IF e.ticket \in DOMAIN s.invites THEN "duplicate-invite"
            ELSE "ok"
      [] e.kind = "REVOKE_INVITE" ->
            IF e.ticket \notin DOMAIN s.invites THEN "unknown-invite"
            ELSE IF s.invites[e.ticket].revoked THEN "invite-revoked"
            ELSE "ok"
      [] e.kind = "KICK" ->
            IF e.target = s.owner THEN "cannot-kick-owner"
            ELSE IF e.target = e.author THEN "cannot-kick-self"
            ELSE IF e.target \in s.removed THEN "already-removed"
            ELSE IF e.target \notin s.members THEN "not-a-member"
            ELSE IF e.target \in Range(s.admins)
                    /\ ~(Seniority(s, e.author) < Seniority(s, e.target))
                 THEN "not-authorized"
            ELSE IF e.rule # None /\ s.locked THEN "room-locked"
            ELSE "ok"
      [] e.kind = "PROMOTE" ->
            IF ListedCode(s, e.target) # "ok" THEN ListedCode(s, e.target)
            ELSE IF IsAdmin(s, e.target) THEN "already-admin"
            ELSE "ok"
      [] e.kind = "DEMOTE" ->
            IF e.target \notin Range(s.admins) THEN "not-admin"
            ELSE IF ~(Seniority(s, e.author) < Seniority(s, e.target))
                 THEN "not-authorized"
            ELSE "ok"
      [] e.kind = "SET_JOIN_RULE" ->
            IF s.locked THEN "room-locked" ELSE "ok"
      [] e.kind = "LOCK" ->
            IF s.locked THEN "room-locked" ELSE "ok"
      [] e.kind = "REKEY" ->
            IF e.counter # s.epoch + 1 THEN "wrong-epoch"
            ELSE IF s.pendingKick = None \/ e.kick # s.pendingKick THEN "no-kick"
            ELSE IF ~e.distinct THEN "malformed"
            ELSE IF e.recipients \cap s.removed # {} THEN "rekey-to-removed"
            ELSE IF ~(e.recipients \subseteq s.members) THEN "not-a-member"
            ELSE "ok"
      [] e.kind = "KEYSHARE" ->
            IF e.counter # s.epoch THEN "wrong-epoch"
            ELSE IF ListedCode(s, e.target) # "ok" THEN ListedCode(s, e.target)
            \* Sealed to the key the log binds, never to one a hello named.
            ELSE IF s.xkeys[e.target] # e.xkey THEN "wrong-key"
            ELSE "ok"
      [] OTHER -> "malformed"

\* _apply: the code of the first rule `e` breaks on top of `s`, or "ok".
Code(s, e) ==
    IF s.ended THEN "room-ended"
    ELSE IF e.author \in s.removed THEN "author-removed"
    ELSE CASE e.kind = "REDEEM" ->
                IF e.ticket \notin DOMAIN s.invites THEN "unknown-invite"
                ELSE IF s.invites[e.ticket].revoked THEN "invite-revoked"
                ELSE IF e.time > s.invites[e.ticket].exp THEN "invite-expired"
                ELSE IF s.invites[e.ticket].used >= s.invites[e.ticket].uses
                     THEN "ticket-used"
                ELSE IF ~e.proof THEN "bad-binding"
                ELSE IF ~e.sigok THEN "bad-ticket"
                ELSE AdmitCode(s, e.author)
           [] e.kind = "BIND" ->
                IF s.rule # "open" \/ s.locked THEN "not-open"
                ELSE IF e.author \in s.members THEN "already-member"
                ELSE IF ~e.proof THEN "bad-binding"
                ELSE AdmitCode(s, e.author)
           [] e.kind = "END_ROOM" ->
                IF e.author # s.owner THEN "not-authorized" ELSE "ok"
           [] OTHER ->
                IF ~IsAdmin(s, e.author) THEN "not-authorized" ELSE AdminCode(s, e)

Allowed(s, e) == Code(s, e) = "ok"

\* The state after an allowed event (`apply`).
After(s, e) ==
    CASE e.kind = "REDEEM" ->
            [Admitted(s, e.author, e.xkey) EXCEPT
                !.invites[e.ticket].used = @ + 1]
      [] e.kind = "BIND" -> Admitted(s, e.author, e.xkey)
      [] e.kind = "END_ROOM" -> [s EXCEPT !.ended = TRUE]
      [] e.kind = "ADMIT" -> Admitted(s, e.target, e.xkey)
      [] e.kind = "INVITE" ->
            [s EXCEPT !.invites = @ @@ (e.ticket :>
                [uses |-> e.uses, used |-> 0, exp |-> e.exp, revoked |-> FALSE])]
      [] e.kind = "REVOKE_INVITE" -> [s EXCEPT !.invites[e.ticket].revoked = TRUE]
      [] e.kind = "KICK" ->
            [s EXCEPT !.admins = Without(@, e.target),
                      !.members = @ \ {e.target},
                      !.xkeys = [k \in DOMAIN @ \ {e.target} |-> @[k]],
                      !.removed = @ \cup {e.target},
                      !.rule = IF e.rule = None THEN @ ELSE e.rule,
                      !.pendingKick = e.id]
      [] e.kind = "PROMOTE" -> [s EXCEPT !.admins = Append(@, e.target)]
      [] e.kind = "DEMOTE" -> [s EXCEPT !.admins = Without(@, e.target)]
      [] e.kind = "SET_JOIN_RULE" -> [s EXCEPT !.rule = e.rule, !.cap = e.cap]
      [] e.kind = "LOCK" -> [s EXCEPT !.locked = TRUE]
      [] e.kind = "REKEY" ->
            [s EXCEPT !.epoch = e.counter, !.pendingKick = None,
                      !.sealed = e.recipients \cup {e.author}]
      [] e.kind = "KEYSHARE" -> [s EXCEPT !.sealed = @ \cup {e.target}]

\* The states a sequence of events passes through (the relay's single chain).
RECURSIVE Fold(_, _)
Fold(s, events) ==
    IF events = << >> THEN s
    ELSE LET e == Head(events) IN
         IF Allowed(s, e) THEN Fold(After(s, e), Tail(events)) ELSE Fold(s, Tail(events))

(***************************************************************************)
(* Invariants of any state these rules reach (checked in every model).      *)
(***************************************************************************)
\* Nobody the log removed is listed or holds a role; once a kick's REKEY is
\* in, nobody removed was sealed the epoch in force.
RevokedStaysOut(s) ==
    /\ s.removed \cap s.members = {}
    /\ s.removed \cap Range(s.admins) = {}
    /\ s.pendingKick = None => s.sealed \cap s.removed = {}

\* Every listed member has exactly one bound key; the removed have none.
KeysBoundByLog(s) == DOMAIN s.xkeys = s.members

\* No ticket admits more than its uses.
TicketsWithinUses(s) == \A t \in DOMAIN s.invites : s.invites[t].used <= s.invites[t].uses
=============================================================================
