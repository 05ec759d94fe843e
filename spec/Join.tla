-------------------------------- MODULE Join --------------------------------
(***************************************************************************)
(* Admission and tickets at an honest relay made of several processes that *)
(* share one Redis (PROTOCOL §5.2, §5.4, §8.4, §8.7).                      *)
(*                                                                         *)
(* WHAT IS MODELLED                                                        *)
(*  One room, already created: its log after the set-up (the owner admitted *)
(*  and promoted the admin and issued two tickets, all at clock 0) lives in *)
(*  Redis with the room's meta key, its knocks and its TTL.  Every log      *)
(*  change goes through GovernanceRules (`Code`, `Allowed`, `After`: the    *)
(*  TLA+ rendering of state.py `apply`); nothing here re-implements a rule. *)
(*  People: the owner, an admin, link holders (Newcomers) and an Outsider  *)
(*  without the link.  Each person has at most one socket at a time; a      *)
(*  waiting or refused one may come back with a new JOIN as often as it     *)
(*  likes.                                                                 *)
(*                                                                         *)
(*  Concurrency.  The unit of concurrency is one socket's handler: every    *)
(*  `await` on Redis is a point where another handler (on this process or   *)
(*  another one) may run.  Steps are cut at the Redis operations that       *)
(*  matter: the log read with the decision on it, and the Lua scripts that  *)
(*  write (_APPEND, _ADMIT, _KNOCK, _END).  Process identity is not a       *)
(*  variable: LogCache.resolution (rooms/room_governance.py) reads the log  *)
(*  tail from Redis on every call, so a process's cache is never older than *)
(*  its read, and two coroutines of one process interleave at Redis calls   *)
(*  exactly as two processes do.  In particular every _commit is two steps: *)
(*  read + check_append, then the compare-and-set append.                  *)
(*                                                                         *)
(*  The clock.  `now` is the relay's clock (now_ms()), in ticks of the      *)
(*  clock allowance's order (Allowance ticks = CLOCK_ALLOWANCE_MS); it      *)
(*  advances between any two steps, up to MaxTime: past the tickets'        *)
(*  expiries and past the room's expiry.  Redis forgets the room (PEXPIREAT *)
(*  at expires_at: a key expires once the clock is PAST it) when now >      *)
(*  RoomExpiry; lifetime_allows refuses a JOIN once now >= RoomExpiry.      *)
(*                                                                         *)
(* ACTIONS AND THE CODE THAT IMPLEMENTS THEM                               *)
(*  Join            rooms/consumers.py RoomConsumer._join: join_proof_valid *)
(*                  (rooms/admission.py), store.get, lifetime_allows,       *)
(*                  place.log(), entry_for (governance/rules.py); KNOCK:    *)
(*                  store.add_knock (_KNOCK) + _wait; TICKET: _wait +       *)
(*                  INVITE_REQUIRED.                                       *)
(*  Enter           _enter (store.admit: Lua _ADMIT) + _send_welcome: the  *)
(*                  WELCOME frame carries place.room.server_shard.  A SHARD *)
(*                  RELEASE.                                               *)
(*  RedeemCheck     _redeem -> _commit, first half: place.log(),            *)
(*                  check_append (apply + _check_times); a refusal is       *)
(*                  refuse_admission (REFUSED, 4403).                      *)
(*  Propose         _append -> _commit, first half, for the events of       *)
(*                  sockets in the room (owner, admin, open-room newcomers).*)
(*  Commit          _commit, second half: store.append (Lua _APPEND, the    *)
(*                  compare-and-set on the head) + hub.governance; STALE ->  *)
(*                  INVITE_REQUIRED (_redeem) or REFUSED (_append).  After  *)
(*                  an appended REDEEM: _welcome_after_wait (_ADMIT +       *)
(*                  WELCOME), a SHARD RELEASE.                             *)
(*  EndRoom         _commit's tail for END_ROOM: store.end (Lua _END        *)
(*                  deletes meta, members, log, knocks) + hub.ended.        *)
(*  CrashBeforeEnd  the END_ROOM handler never reaches store.end (a         *)
(*                  RedisError there -> receive() closes 4013, or the       *)
(*                  process dies): END_ROOM is in the log, the keys stay    *)
(*                  until the TTL.                                         *)
(*  KnockAnswered   governance() -> effect_of(raw).admitted == member while *)
(*                  KNOCKING -> _welcome_after_wait (remove_knock, _ADMIT,  *)
(*                  WELCOME): a SHARD RELEASE.                             *)
(*  Decline         _decline (admin check on place.log(), remove_knock,     *)
(*                  hub.declined -> the knocker's declined(): 4403).        *)
(*  Disconnect      a waiting socket closes (client, no-answer, refusal):   *)
(*                  disconnect() removes its knock; a kicked member's socket*)
(*                  closes (governance(): KICKED).                         *)
(*  Tick            now_ms(); past the room's expiry Redis drops every key  *)
(*                  (store.py: PEXPIREAT on every room key).               *)
(*  Done            terminal stuttering: clock at MaxTime, every socket     *)
(*                  closed.  Deadlock checking stays ON.                   *)
(*                                                                         *)
(* THE ADVERSARY                                                           *)
(*  Link holders join whenever they like, knock, redeem any ticket (a       *)
(*  ticket signature is valid only from a holder of that ticket's secret:   *)
(*  `sigok`), sign any REDEEM time, honest or backdated (SignedTimes), and  *)
(*  leave and come back.  The Outsider cannot make a join proof, so it      *)
(*  never connects, even though it holds a ticket secret.  Relay handlers   *)
(*  interleave arbitrarily with each other and with the clock.  The relay   *)
(*  itself is honest here: it runs the shipped code (Governance.tla covers  *)
(*  a malicious relay).  Owner and admin are honest: they send only events  *)
(*  the relay's check accepts at the time they send them.                  *)
(*                                                                         *)
(* LINEARIZATION (what the invariants mean by "when")                      *)
(*  A shard release is judged against the log state the relay DECIDED on:  *)
(*  the state its log read returned (entry_for in _join), or the state      *)
(*  right after the ADMIT / REDEEM that admitted the socket -- a state of   *)
(*  the relay's one chain.  The release itself is the _ADMIT script, which  *)
(*  checks only that the room's keys still exist (the WELCOME frame leaves a*)
(*  few awaits later with no further check).  A REDEEM's clock check is     *)
(*  now_ms() at check_append, not at the Lua append.  The real-time         *)
(*  readings are action properties Diag* at the end: the shipped code       *)
(*  breaks them (see the notes there), so they are not in Join.cfg.         *)
(*                                                                         *)
(* REDUCTIONS (each one keeps every behaviour the invariants can tell apart)*)
(*  - The owner's events follow one script (OwnerScript); the admin only    *)
(*    ADMITs and DECLINEs knocks, is the only one the owner KICKs, and is   *)
(*    in the room from the start (welcomed during the set-up).  Members do  *)
(*    not leave on their own (coming back is Join's "listed" path, which    *)
(*    the owner takes).                                                    *)
(*  - A REDEEM signed on an old head: the stale-parent round trip is        *)
(*    skipped (the client signs on the head the check reads); the race that *)
(*    matters, check vs. append, is kept.  Once checked, a REDEEM's time is *)
(*    kept as -1 (nothing reads it again).                                 *)
(*  - A redeemer's and a knocker's _welcome_after_wait run in the step that *)
(*    admits them (a room ending in between would only turn the WELCOME    *)
(*    into 4004: the model releases more, never less).                     *)
(*  - When the room ends, every socket that only listens closes at once     *)
(*    (Ending); handlers in the middle of a step go on and meet GONE.       *)
(*  - Newcomers are interchangeable (SYMMETRY in the .cfg).                *)
(*                                                                         *)
(* NOT COVERED                                                             *)
(*  A malicious or colluding relay (Governance.tla); forks and the merge    *)
(*  rule (members' view; the honest relay keeps one chain); the crypto (a   *)
(*  proof is a guard or a boolean); caps (room/tenant caps, FULL, room-full,*)
(*  MAX_WAITING_KNOCKS, rate limits); REVOKE_INVITE, PROMOTE/DEMOTE, REKEY, *)
(*  KEYSHARE, kicks of newcomers, INVITE after the set-up (its _check_times *)
(*  branch is only an ASSUME on the set-up); several sockets for one key;   *)
(*  envelopes; PEEK/CREATE; liveness (no fairness; e.g. a knocker that      *)
(*  subscribes after an admin answered from the knocks hash waits until     *)
(*  no-answer).                                                            *)
(*                                                                         *)
(* BROKEN VARIANTS (flags; one .cfg each)                                  *)
(*  ClockCheck = FALSE    the relay skips |time - now| <= Allowance        *)
(*                        -> NoAdmissionAfterExpiry fails (backdated REDEEM)*)
(*  CompareAndSet = FALSE _APPEND ignores whether the head moved since the  *)
(*                        read and the relay re-applies the event on the    *)
(*                        stale state -> TicketNeverOverUsed fails.        *)
(*  EndedIsGone = FALSE   entry_for as it was: an ended log still welcomes  *)
(*                        a JOIN until store.end runs (found by this model) *)
(*                        -> NoWelcomeOnEndedLog fails.                    *)
(***************************************************************************)
EXTENDS GovernanceRules

CONSTANTS
    Owner, Admin,      \* the genesis' owner; an admin (admitted, promoted in the set-up)
    Newcomers,         \* link holders who are not listed at the start
    Outsider,          \* holds no link: cannot make a join proof
    TicketA, UsesA, ExpA, HoldersA,   \* a multi-use ticket, its uses, expiry, secret holders
    TicketB, UsesB, ExpB, HoldersB,   \* a single-use ticket, likewise
    Allowance,         \* CLOCK_ALLOWANCE_MS, in ticks
    RoomExpiry,        \* the room's expires_at, in ticks
    MaxTime,           \* the clock stops here (past RoomExpiry)
    MaxLog,            \* events appended after the set-up (exploration bound)
    InitialRule,       \* the join rule after the set-up
    ClockCheck,        \* broken variant when FALSE (see above)
    CompareAndSet,     \* broken variant when FALSE (see above)
    EndedIsGone        \* broken variant when FALSE (see above)

People == {Owner, Admin, Outsider} \cup Newcomers
LinkHolders == {Owner, Admin} \cup Newcomers
Tickets == {TicketA, TicketB}
Uses(t) == IF t = TicketA THEN UsesA ELSE UsesB
Exp(t) == IF t = TicketA THEN ExpA ELSE ExpB
Holders(t) == IF t = TicketA THEN HoldersA ELSE HoldersB
Times == 0..MaxTime

\* Newcomers are interchangeable (each holds both tickets' secrets, or none):
\* a .cfg may declare them as model values and use SYMMETRY Symmetry.
Symmetry == Permutations(Newcomers)

XKey(p) == <<"x", p>>

Ev(kind, author) == [Blank EXCEPT !.kind = kind, !.author = author, !.id = <<kind, author>>]

\* The set-up, appended by the owner at clock 0 before the model starts.
SetUp == << [Ev("ADMIT", Owner) EXCEPT !.target = Admin, !.xkey = XKey(Admin)],
            [Ev("PROMOTE", Owner) EXCEPT !.target = Admin],
            [Ev("INVITE", Owner) EXCEPT !.ticket = TicketA, !.uses = UsesA, !.exp = ExpA],
            [Ev("INVITE", Owner) EXCEPT !.ticket = TicketB, !.uses = UsesB, !.exp = ExpB] >>
Start == Fold(InitialState(Owner, XKey(Owner), InitialRule), SetUp)

ASSUME /\ TicketA # TicketB /\ Owner # Admin
       /\ {Owner, Admin, Outsider} \cap Newcomers = {}
       /\ Outsider \notin LinkHolders
       /\ InitialRule \in Rules
       /\ ClockCheck \in BOOLEAN /\ CompareAndSet \in BOOLEAN
       /\ RoomExpiry < MaxTime
       \* Every set-up event was allowed (Fold skips refused ones).
       /\ Start.members = {Owner, Admin} /\ Start.admins = << Admin >>
       /\ DOMAIN Start.invites = Tickets
       \* The relay's INVITE time check (rules.py _check_times) at clock 0:
       \* expiry in the future and at most the room's expiry + allowance.
       /\ \A t \in Tickets : 0 < Exp(t) /\ Exp(t) <= RoomExpiry + Allowance

(* The events the model builds (abstract crypto: proof / sigok).            *)
\* REDEEM: the author's own keys, a ticket signature valid iff it holds T.
Redeem(p, t, tm) == [Ev("REDEEM", p) EXCEPT !.ticket = t, !.time = tm, !.xkey = XKey(p),
                                            !.sigok = p \in Holders(t)]
\* BIND: link_sig by the auth key: only a link holder has it (all who connect).
Bind(p) == [Ev("BIND", p) EXCEPT !.xkey = XKey(p)]
\* ADMIT copies the knock's binding (valid: the knocker passed join_proof_valid).
AdmitEv(a, n) == [Ev("ADMIT", a) EXCEPT !.target = n, !.xkey = XKey(n), !.id = <<"ADMIT", n>>]
KickEv(a, t) == [Ev("KICK", a) EXCEPT !.target = t, !.id = <<"KICK", t>>]
RuleEv(a, r) == [Ev("SET_JOIN_RULE", a) EXCEPT !.rule = r, !.id = <<"SET_JOIN_RULE", r>>]

VARIABLES
    now,        \* the relay's clock
    log,        \* the room's Redis log list after the set-up: << event, ... >>
    hist,       \* hist[i + 1]: the relay's state after i events of `log` (hist[1] = Start)
    meta,       \* the room's meta key exists (store.get returns a room; Lua scripts see `exp`)
    knocks,     \* the room's knocks hash: who waits for an admin
    conn,       \* conn[p]: p's socket (see Phases)
    endedAt,    \* history: -1 while the room lives; once it ended (store.end after
                \* END_ROOM, or the TTL), the length of the log at that moment
    bad         \* history: every shard release or append that broke a property, as
                \* [inv |-> the invariant's name, p |-> who, at |-> log index]

vars == <<now, log, hist, meta, knocks, conn, endedAt, bad>>

(* Why `bad` and not a set of every release: whether a release or an append *)
(* is allowed depends only on history that never changes afterwards (the    *)
(* state it was decided on, hist[at + 1], and the log up to it), so judging *)
(* it at the step that does it is the same as judging a history set later,  *)
(* and keeps the state space small.  `bad` is empty in every state of a     *)
(* correct run; each invariant below reads the records carrying its name.   *)

(* Socket phases.                                                          *)
(*  off   no socket (or closed)                                            *)
(*  wel   the relay decided to WELCOME (via "listed"/"open"/"admit"/       *)
(*        "redeem", on the state after `at` events); _enter not yet run     *)
(*  tkt   TICKET phase: INVITE_REQUIRED sent                               *)
(*  chk   a REDEEM (ev) on parent `at` passed check_append; `late` is -1, *)
(*        or the time the REDEEM carried if the relay clock then was past *)
(*        the ticket's expiry + allowance (only without ClockCheck)       *)
(*  knk   KNOCKING                                                        *)
(*  in    IN_ROOM (got the shard)                                         *)
(*  evc   in the room, an event (ev) on parent `at` passed check_append    *)
(*  endp  END_ROOM appended; store.end not run yet                        *)
Phases == {"off", "wel", "tkt", "chk", "knk", "in", "evc", "endp"}
Vias == {None, "listed", "open", "admit", "redeem"}
Off == [ph |-> "off", at |-> 0, via |-> None, ev |-> None, late |-> -1]
Conn(ph, at, via, ev, late) == [ph |-> ph, at |-> at, via |-> via, ev |-> ev, late |-> late]

Top == Len(log)              \* the relay's head (the set-up's last event is head 0)
St == hist[Len(hist)]         \* the relay's state: what place.log() returns now
HasKind(k) == \E i \in DOMAIN log : log[i].kind = k
Ended == endedAt >= 0

(* governance/rules.py entry_for, line by line.  An ended log is GONE: the *)
(* relay closes 4004 (it did not look at `ended` until this model found a   *)
(* WELCOME between the END_ROOM append and store.end: NoWelcomeOnEndedLog). *)
EntryFor(s, m) ==
    IF EndedIsGone /\ s.ended THEN "GONE"
    ELSE IF m \in s.removed THEN "REFUSED"
    ELSE IF m \in s.members THEN "WELCOME"
    ELSE IF s.locked THEN "REFUSED"
    ELSE IF s.rule = "open" THEN "WELCOME"
    ELSE IF s.rule = "approval" THEN "KNOCK"
    ELSE "TICKET"

(* governance/rules.py check_append after its parent check: apply (the     *)
(* GovernanceRules code), then _check_times for a REDEEM: |time - now| <=   *)
(* CLOCK_ALLOWANCE_MS (skipped when ClockCheck = FALSE).                    *)
RelayCode(s, e) ==
    IF ~Allowed(s, e) THEN Code(s, e)
    ELSE IF e.kind = "REDEEM" /\ ClockCheck
            /\ (e.time - now > Allowance \/ now - e.time > Allowance) THEN "bad-time"
    ELSE "ok"

(***************************************************************************)
(* What a release or an append must satisfy (judged when it happens).      *)
(***************************************************************************)
\* NoShardWithoutAdmission: the socket holds the link; in the state the relay
\* decided on (hs[at + 1], after `at` events of the log lg) it is not removed,
\* and it is the owner, or listed, or the room is open and unlocked; knockers
\* are let in by an ADMIT of their key in the relay's log, redeemers by their
\* own REDEEM in it.
Justified(lg, hs, p, via, at) ==
    LET s == hs[at + 1] IN
    /\ p \in LinkHolders
    /\ p \notin s.removed
    /\ \/ p = s.owner
       \/ p \in s.members
       \/ s.rule = "open" /\ ~s.locked
    /\ via = "open" => s.rule = "open" /\ ~s.locked
    /\ via \in {"listed", "admit", "redeem"} => p \in s.members
    /\ via = "admit" => lg[at].kind = "ADMIT" /\ lg[at].target = p
    /\ via = "redeem" => lg[at].kind = "REDEEM" /\ lg[at].author = p

\* NothingAfterLockOrEnd, shard side: once the state the relay decided on is
\* locked, only the owner and keys listed before the LOCK get the shard.
AfterLockOk(lg, hs, p, at) ==
    hs[at + 1].locked =>
        LET k == CHOOSE i \in DOMAIN lg : lg[i].kind = "LOCK" IN
        p = Owner \/ p \in hs[k].members

\* The records a shard release for p (decided on `at` events of lg, via `via`)
\* adds.  The room having ended (store.end or TTL) is judged at the release.
ReleaseBad(lg, hs, p, via, at) ==
    {[inv |-> "NoShardWithoutAdmission", p |-> p, at |-> at] :
        x \in IF Justified(lg, hs, p, via, at) THEN {} ELSE {1}}
    \cup {[inv |-> "NothingAfterLockOrEnd", p |-> p, at |-> at] :
        x \in IF AfterLockOk(lg, hs, p, at) THEN {} ELSE {1}}
    \cup {[inv |-> "EndedReleasesNothing", p |-> p, at |-> at] : x \in IF Ended THEN {1} ELSE {}}

\* The records appending e adds.  NoAdmissionAfterExpiry: check_append judged
\* a REDEEM at a relay clock <= expiry + allowance (late = -1; else `at` in the
\* record is the log index, and the REDEEM's signed time is `late`).
AppendBad(e, late) ==
    {[inv |-> "NoAdmissionAfterExpiry", p |-> e.author, at |-> Len(log) + 1] :
        x \in IF e.kind = "REDEEM" /\ late # -1 THEN {1} ELSE {}}
    \cup {[inv |-> "EndedReleasesNothing", p |-> e.author, at |-> Len(log) + 1] :
        x \in IF Ended THEN {1} ELSE {}}

\* The room ends (store.end, or Redis' TTL): every key goes, the history records
\* when.  Every socket that only listens (waiting, or in the room) is closed at
\* once: hub.ended -> room_ended (4000) after store.end, _expire_at (4001) or
\* the waiting timeout after the TTL.  Those closes are asynchronous in the
\* code, but once the keys are gone nothing such a socket does can change Redis
\* (every script checks the meta key), so closing them here loses no
\* behaviour.  Handlers in the middle of a step (wel, chk, evc, endp) go on and
\* meet GONE.
Listening == {"tkt", "knk", "in"}
Ending(closer) ==
    /\ meta' = FALSE
    /\ knocks' = {}
    /\ endedAt' = IF Ended THEN endedAt ELSE Len(log)
    /\ conn' = [q \in People |-> IF q = closer \/ conn[q].ph \in Listening THEN Off ELSE conn[q]]

-----------------------------------------------------------------------------
Init ==
    /\ now = 0
    /\ log = << >>
    /\ hist = << Start >>
    /\ meta = TRUE
    /\ knocks = {}
    \* The admin's socket is in the room (welcomed during the set-up); everyone
    \* else, the owner included, has yet to connect.
    /\ conn = [p \in People |-> IF p = Admin THEN Conn("in", 0, None, None, -1) ELSE Off]
    /\ endedAt = -1
    /\ bad = {}

\* rooms/consumers.py RoomConsumer._join.  join_proof_valid (rooms/admission.py):
\* only a link holder can sign the join proof and the binding.  store.get must
\* find the room and lifetime_allows (admission.py) needs now < expires_at.
\* The log read and entry_for decide; a REFUSED answer (removed, locked) closes
\* the socket and changes nothing, so it is not a step.  KNOCK: store.add_knock
\* (_KNOCK: fails GONE without the meta key; it is in the same step as the read,
\* and Ending clears knocks) and _wait (subscribe).  TICKET: _wait +
\* INVITE_REQUIRED with the head.
Join(p) ==
    /\ conn[p].ph = "off"
    /\ p \in LinkHolders
    /\ meta /\ now < RoomExpiry
    /\ LET entry == EntryFor(St, p) IN
       CASE entry = "WELCOME" ->
              /\ conn' = [conn EXCEPT ![p] =
                     Conn("wel", Top, IF p \in St.members THEN "listed" ELSE "open", None, -1)]
              /\ UNCHANGED knocks
         [] entry = "KNOCK" ->
              /\ conn' = [conn EXCEPT ![p] = Conn("knk", 0, None, None, -1)]
              /\ knocks' = knocks \cup {p}
         [] entry = "TICKET" ->
              /\ conn' = [conn EXCEPT ![p] = Conn("tkt", 0, None, None, -1)]
              /\ UNCHANGED knocks
         [] entry = "REFUSED" -> FALSE   \* REFUSED + 4403: nothing changes
         [] entry = "GONE" -> FALSE      \* 4004: nothing changes
    /\ UNCHANGED <<now, log, hist, meta, endedAt, bad>>

\* RoomConsumer._enter (store.admit: Lua _ADMIT returns GONE without the meta key
\* -> FrameRejected 4004) then _send_welcome: WELCOME(place.room.server_shard).
\* The shard is released here, to a socket _join decided to WELCOME.  (The
\* same _enter + _send_welcome after an ADMIT or a REDEEM,
\* _welcome_after_wait, is folded into KnockAnswered and Commit.)
Enter(p) ==
    /\ conn[p].ph = "wel"
    /\ IF meta
       THEN /\ conn' = [conn EXCEPT ![p] = Conn("in", 0, None, None, -1)]
            /\ bad' = bad \cup ReleaseBad(log, hist, p, conn[p].via, conn[p].at)
       ELSE /\ conn' = [conn EXCEPT ![p] = Off]
            /\ UNCHANGED bad
    /\ UNCHANGED <<now, log, hist, meta, knocks, endedAt>>

\* The times a redeemer signs.  The protocol lets it sign any value; the ones
\* that matter are the honest one (now) and the latest that apply accepts (the
\* ticket's expiry: the best backdating).  A REDEEM's time is read only by its
\* check, so every other accepted time behaves like one of these, and a
\* refused one like any refusal (the socket closes).
SignedTimes(t) == {now, Exp(t)}

\* RoomConsumer._redeem -> _commit, first half: place.log(), check_append.  The
\* client signs its REDEEM (any ticket, a time from SignedTimes) on the head
\* INVITE_REQUIRED gave it.  A parent that is no longer the head gets
\* stale-parent and _redeem sends INVITE_REQUIRED with the new head, which the
\* client signs again: that round trip changes nothing else, so the model has
\* the REDEEM signed on the head the check reads (the `tkt` phase keeps no
\* head).  The race that matters, between this check and the append, is
\* Commit's.  Any other refusal (apply's code, or bad-time): refuse_admission,
\* 4403.  Once checked, the REDEEM's time is never read again (After does not
\* read it): the model keeps the event with time -1, and in `late` the signed
\* time of a REDEEM checked past its ticket's expiry + allowance.
RedeemCheck(p, t, tm) ==
    /\ conn[p].ph = "tkt"
    /\ Len(log) < MaxLog
    /\ LET e == Redeem(p, t, tm) IN
       IF RelayCode(St, e) = "ok"
       THEN conn' = [conn EXCEPT ![p] =
                Conn("chk", Top, None, [e EXCEPT !.time = -1],
                     IF now > Exp(t) + Allowance THEN tm ELSE -1)]
       ELSE conn' = [conn EXCEPT ![p] = Off]
    /\ UNCHANGED <<now, log, hist, meta, knocks, endedAt, bad>>

\* The owner's events follow one script (exploration bound): each kind at most
\* once and in this order, any of them skipped -- a change of join rule, a kick
\* of the admin, LOCK, END_ROOM.  Their order among themselves is not what is
\* checked here; their interleaving with admissions is.
OwnerScript == << "SET_JOIN_RULE", "KICK", "LOCK", "END_ROOM" >>
OwnerMay(k) ==
    \E i \in DOMAIN OwnerScript :
        /\ OwnerScript[i] = k
        /\ \A j \in i..Len(OwnerScript) : ~HasKind(OwnerScript[j])

\* What a socket in the room may ask for: the owner its script, the admin an
\* ADMIT of a knock it was shown, an open-room newcomer a BIND.  (Honest
\* clients check an intent against their state before sending it; Propose
\* keeps those the relay's check accepts.)
Intents(p) ==
    CASE p = Owner ->
            {RuleEv(p, r) : r \in IF OwnerMay("SET_JOIN_RULE") THEN Rules \ {St.rule} ELSE {}}
            \cup {KickEv(p, Admin) : x \in IF OwnerMay("KICK") THEN {1} ELSE {}}
            \cup {Ev(k, p) : k \in {k2 \in {"LOCK", "END_ROOM"} : OwnerMay(k2)}}
      [] p = Admin -> {AdmitEv(p, n) : n \in knocks}
      [] OTHER -> {Bind(p)}

\* RoomConsumer._append -> _commit, first half: place.log(), check_append on
\* the current head.  (An event the check refuses gets a REFUSED frame and the
\* socket stays: honest clients check their intents first, so no step.)
Propose(p) ==
    /\ conn[p].ph = "in"
    /\ Len(log) < MaxLog
    /\ \E e \in Intents(p) :
          /\ RelayCode(St, e) = "ok"
          /\ conn' = [conn EXCEPT ![p] = Conn("evc", Top, None, e, -1)]
    /\ UNCHANGED <<now, log, hist, meta, knocks, endedAt, bad>>

\* RoomConsumer._commit, second half: store.append, the Lua _APPEND
\* (rooms/store.py): no meta key -> GONE -> FrameRejected 4004; head # parent
\* -> STALE (unless CompareAndSet = FALSE): a REDEEM gets INVITE_REQUIRED with
\* the new head (_redeem), a member's event a REFUSED frame (_append); else
\* RPUSH and move the head, then hub.governance.  A REDEEM goes on to
\* _welcome_after_wait (folded in here, see Enter); END_ROOM to store.end
\* (EndRoom).  The relay's state after the append: apply on the state the
\* check saw -- with compare-and-set the current head's; without it possibly
\* a stale one (the broken variant re-applies there).
Commit(p) ==
    /\ conn[p].ph \in {"chk", "evc"}
    /\ LET c == conn[p]
           redeem == c.ph = "chk"
       IN
       IF ~meta
       THEN /\ conn' = [conn EXCEPT ![p] = Off]
            /\ UNCHANGED <<log, hist, bad>>
       ELSE IF CompareAndSet /\ c.at # Top
       THEN /\ conn' = [conn EXCEPT ![p] = IF redeem THEN Conn("tkt", 0, None, None, -1)
                                           ELSE Conn("in", 0, None, None, -1)]
            /\ UNCHANGED <<log, hist, bad>>
       ELSE LET lg == Append(log, c.ev)
                hs == Append(hist, After(hist[c.at + 1], c.ev))
            IN /\ log' = lg
               /\ hist' = hs
               /\ bad' = bad \cup AppendBad(c.ev, c.late)
                         \cup (IF redeem THEN ReleaseBad(lg, hs, p, "redeem", Len(lg)) ELSE {})
               /\ conn' = [conn EXCEPT ![p] =
                     IF c.ev.kind = "END_ROOM" THEN Conn("endp", 0, None, None, -1)
                     ELSE Conn("in", 0, None, None, -1)]
    /\ UNCHANGED <<now, meta, knocks, endedAt>>

\* _commit's tail for END_ROOM: store.end (Lua _END deletes meta, members, log and
\* knocks), hub.ended closes every listening socket, the author's too.
EndRoom(p) ==
    /\ conn[p].ph = "endp"
    /\ Ending(p)
    /\ UNCHANGED <<now, log, hist, bad>>

\* The END_ROOM handler never reaches store.end: a RedisError there (receive()
\* closes 4013), or the process dies.  The keys stay until the TTL.
CrashBeforeEnd(p) ==
    /\ conn[p].ph = "endp"
    /\ conn' = [conn EXCEPT ![p] = Off]
    /\ UNCHANGED <<now, log, hist, meta, knocks, endedAt, bad>>

\* RoomConsumer.governance -> effect_of(raw).admitted == member while KNOCKING ->
\* _welcome_after_wait (remove_knock, then _enter).  The socket hears only what
\* was published after it subscribed; any ADMIT of p in the log is such an
\* event: with an ADMIT of p in the log, p is listed (Join: WELCOME) or removed
\* (Join: REFUSED), never knocking again.
KnockAnswered(p) ==
    /\ conn[p].ph = "knk"
    /\ \E i \in DOMAIN log :
          /\ log[i].kind = "ADMIT" /\ log[i].target = p
          /\ IF meta
             THEN /\ conn' = [conn EXCEPT ![p] = Conn("in", 0, None, None, -1)]
                  /\ bad' = bad \cup ReleaseBad(log, hist, p, "admit", i)
             ELSE /\ conn' = [conn EXCEPT ![p] = Off]
                  /\ UNCHANGED bad
    /\ knocks' = knocks \ {p}
    /\ UNCHANGED <<now, log, hist, meta, endedAt>>

\* RoomConsumer._decline: the author must be an admin on place.log(); then
\* remove_knock and hub.declined: the knocker gets REFUSED "declined", 4403.
Decline(a, n) ==
    /\ conn[a].ph = "in"
    /\ IsAdmin(St, a)
    /\ n \in knocks
    /\ knocks' = knocks \ {n}
    /\ conn' = [conn EXCEPT ![n] = IF @.ph = "knk" THEN Off ELSE @]
    /\ UNCHANGED <<now, log, hist, meta, endedAt, bad>>

\* A socket closes.  A waiting one at any time (client gone, no-answer, a
\* refusal): RoomConsumer.disconnect removes its knock.  One in the room when
\* its key is removed (governance(): KICKED, 4003).  Members do not leave on
\* their own here: coming back is the "listed" path of Join, which the owner
\* takes.  The closes when the room ends are in Ending.
Disconnect(p) ==
    /\ \/ conn[p].ph \in {"tkt", "knk"}
       \/ conn[p].ph = "in" /\ p \in St.removed
    /\ conn' = [conn EXCEPT ![p] = Off]
    /\ knocks' = knocks \ {p}
    /\ UNCHANGED <<now, log, hist, meta, endedAt, bad>>

\* now_ms() moves on.  Past expires_at, Redis has dropped every key of the room
\* (store.py: PEXPIREAT at the room's expiry on meta, members, log, knocks).
Tick ==
    /\ now < MaxTime
    /\ now' = now + 1
    /\ IF now + 1 > RoomExpiry /\ meta
       THEN Ending(None)
       ELSE UNCHANGED <<meta, knocks, endedAt, conn>>
    /\ UNCHANGED <<log, hist, bad>>

\* Nothing left to do: the clock has stopped and every socket is closed.
Done ==
    /\ now = MaxTime
    /\ \A p \in People : conn[p].ph = "off"
    /\ UNCHANGED vars

Next ==
    \/ \E p \in People :
          \/ Join(p) \/ Enter(p) \/ Propose(p) \/ Commit(p)
          \/ EndRoom(p) \/ CrashBeforeEnd(p) \/ KnockAnswered(p) \/ Disconnect(p)
          \/ \E t \in Tickets : \E tm \in SignedTimes(t) : RedeemCheck(p, t, tm)
    \/ \E n \in Newcomers : Decline(Admin, n)
    \/ Tick
    \/ Done

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(***************************************************************************)
(* Invariants                                                              *)
(***************************************************************************)
Invs == {"NoShardWithoutAdmission", "NothingAfterLockOrEnd", "EndedReleasesNothing",
         "NoAdmissionAfterExpiry"}
BadFor(name) == {b \in bad : b.inv = name}

TypeOK ==
    /\ now \in Times
    /\ \A i \in DOMAIN log : log[i].author \in People /\ log[i].kind \in STRING
    /\ Len(hist) = Len(log) + 1
    /\ meta \in BOOLEAN
    /\ knocks \subseteq Newcomers
    /\ \A p \in People :
          /\ conn[p].ph \in Phases /\ conn[p].via \in Vias
          /\ conn[p].at \in 0..Len(log) /\ conn[p].late \in {-1} \cup Times
          /\ IF conn[p].ph \in {"chk", "evc"} THEN conn[p].ev.author = p
                                               ELSE conn[p].ev = None
    /\ endedAt \in -1..Len(log)
    /\ meta = ~Ended
    /\ \A b \in bad : b.inv \in Invs /\ b.p \in People /\ b.at \in Nat

(* Every socket that got the shard (a WELCOME) holds the link and was       *)
(* admitted by a state of the relay's chain: the one the relay decided on   *)
(* (the state its log read returned in _join, or the state right after the *)
(* socket's own ADMIT / REDEEM).  In that state it is the owner, or listed, *)
(* or the room is open and unlocked; it is never removed there.  Knockers   *)
(* get it only after an ADMIT of their key is in the relay's log, redeemers *)
(* only after their own REDEEM is (see Justified).  The strict, real-time   *)
(* reading (still justified by the relay's state when _ADMIT runs) fails    *)
(* benignly, see DiagStrictShard.                                          *)
NoShardWithoutAdmission == BadFor("NoShardWithoutAdmission") = {}

(* Counted from the relay's log itself (not from the `used` counter the      *)
(* relay's state keeps): the REDEEM events for a ticket never exceed its uses.*)
RedeemsOf(t) == {i \in DOMAIN log : log[i].kind = "REDEEM" /\ log[i].ticket = t}
TicketNeverOverUsed == \A t \in Tickets : Cardinality(RedeemsOf(t)) <= Uses(t)

(* A ticket stops admitting once the relay's clock passes its expiry +      *)
(* CLOCK_ALLOWANCE_MS: every REDEEM in the log was judged by check_append at *)
(* a relay clock <= expiry + allowance (AppendBad records any other); its    *)
(* signed time was <= expiry (apply's own rule, part of the same check).    *)
(* Precisely: the clock is now_ms() at check_append; the Lua append follows *)
(* a few awaits later, and the model lets the clock tick in between (see    *)
(* DiagStrictExpiry).  A relay colluding with a redeemer is out of scope    *)
(* here (PROTOCOL §8.7).                                                   *)
NoAdmissionAfterExpiry == BadFor("NoAdmissionAfterExpiry") = {}

(* No ADMIT, REDEEM or BIND is appended after a LOCK or END_ROOM in the log; *)
(* and once the state the relay decided on holds the LOCK, the shard goes    *)
(* only to the owner and keys listed before it (AfterLockOk).  For END_ROOM  *)
(* the shard side is EndedReleasesNothing (after the room ended); the window *)
(* between the END_ROOM append and store.end is NoWelcomeOnEndedLog.       *)
Admissions == {"ADMIT", "REDEEM", "BIND"}
NothingAfterLockOrEnd ==
    /\ BadFor("NothingAfterLockOrEnd") = {}
    /\ \A i, j \in DOMAIN log :
          (i < j /\ log[i].kind \in {"LOCK", "END_ROOM"}) => log[j].kind \notin Admissions

(* The room ended = the relay ran store.end after END_ROOM, or its TTL       *)
(* passed (Redis forgot it); endedAt records when.  After that no event is   *)
(* appended and no shard is released, ever; and no event ever follows       *)
(* END_ROOM in the log.                                                    *)
EndedReleasesNothing ==
    /\ BadFor("EndedReleasesNothing") = {}
    /\ Ended => Len(log) = endedAt
    /\ \A i \in DOMAIN log : log[i].kind = "END_ROOM" => i = Len(log)

(* The governance rules' own invariants on the relay's state.              *)
LogStateSound == RevokedStaysOut(St) /\ KeysBoundByLog(St) /\ TicketsWithinUses(St)

(***************************************************************************)
(* Action properties.  NoWelcomeOnEndedLog is in Join.cfg: the relay broke *)
(* it until entry_for treated an ended log as GONE (a JOIN between the      *)
(* END_ROOM append and store.end got WELCOME and the shard).  The other     *)
(* three are diagnostics, NOT in Join.cfg, which the shipped code breaks:   *)
(* DiagNoShardOnceEndLogged (a socket WELCOMEd just before the END_ROOM     *)
(* append still gets its _ADMIT), and the real-time readings of            *)
(* NoShardWithoutAdmission / NoAdmissionAfterExpiry (a check followed by a  *)
(* later write, linearized at the check; spec/README.md).                  *)
(***************************************************************************)
\* A shard release: Enter (wel), a redeemer's append (chk), a knock answered (knk).
Releases(p) == conn[p].ph \in {"wel", "chk", "knk"} /\ conn'[p].ph = "in"

\* A JOIN whose log read holds END_ROOM (store.end not run yet, or never run)
\* is not WELCOMEd (in Join.cfg since entry_for treats an ended log as GONE).
NoWelcomeOnEndedLog ==
    [][\A p \in People : (Releases(p) /\ conn[p].ph = "wel") => ~hist[conn[p].at + 1].ended]_vars

\* The literal "after END_ROOM no shard": no _ADMIT once END_ROOM is in the log.
DiagNoShardOnceEndLogged ==
    [][\A p \in People : Releases(p) => ~HasKind("END_ROOM")']_vars

\* Real time: the relay's state when _ADMIT runs still justifies the release
\* (fails when a KICK, LOCK or END_ROOM lands between the read and _ADMIT,
\* and after a crash before store.end).
DiagStrictShard ==
    [][\A p \in People : Releases(p) =>
          /\ p \notin St'.removed /\ ~St'.ended
          /\ (p = Owner \/ p \in St'.members \/ (St'.rule = "open" /\ ~St'.locked))]_vars

\* Real time: the clock at the Lua append (not at check_append) is within
\* expiry + allowance.
DiagStrictExpiry ==
    [][(Len(log') > Len(log) /\ log'[Len(log')].kind = "REDEEM")
         => now <= Exp(log'[Len(log')].ticket) + Allowance]_vars
=============================================================================
