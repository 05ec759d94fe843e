------------------------------ MODULE ForkChoice ------------------------------
(***************************************************************************)
(* The merge rule (fork choice) and the head exchange, against an          *)
(* equivocating relay (PROTOCOL §8.5, §8.8).                                *)
(*                                                                         *)
(* WHAT IS MODELLED                                                        *)
(*  - A fixed, finite universe U of signed governance events              *)
(*    (GovernanceRules' Blank with `id` and `parent`) holding the races of *)
(*    PROTOCOL §8.5 (listed at `Base` below).  The room's set-up (o admits *)
(*    a, b, c; promotes a, then b; one single-use ticket) is folded into   *)
(*    the genesis: the walk starts from `Start` at root id G.  A prefix    *)
(*    chain that every member holds walks the same way: nothing is lost.   *)
(*  - Each modelled member m (constant Members) holds the ids of the       *)
(*    events it has, held[m] (membership.py Membership.decoded), and the   *)
(*    Resolution its client keeps, res[m] (Membership.resolution), moved   *)
(*    exactly as Membership.add moves it: Resolution.extend while the log  *)
(*    is one clean chain and the event is a child of the head, else the    *)
(*    full walk.                                                           *)
(*  - The full walk, Walk/Resolve, is a RECURSIVE rendering of             *)
(*    atopos_protocol/governance/forkchoice.py resolve_decoded: the ready  *)
(*    set starts with the genesis' children; take the minimum by           *)
(*    _order_key = (revocation first, seniority in the CURRENT state,      *)
(*    id); an event whose parent is not valid is dropped (dropped-         *)
(*    ancestor), else applied with GovernanceRules' Code/After (state.py   *)
(*    apply) or refused with its code; its children become ready either    *)
(*    way; what is never reached is an orphan; head = last accepted;       *)
(*    forked = two events share a parent.  Ids: the code compares 32-byte  *)
(*    hashes; the model ranks ids by their place in `Universe` (one fixed  *)
(*    hash order).  Resolve is tabled over all sets of U once (TLCEval),   *)
(*    which is what makes TLC fast here.                                   *)
(*                                                                         *)
(* ACTIONS, AND THE CODE THAT IMPLEMENTS THEM                              *)
(*  Show(m, e)  the relay hands m one event in a GOVERNANCE frame          *)
(*              (atopos_client/session.py, Kind.GOVERNANCE ->              *)
(*              Session._merge -> membership.py Membership.add).           *)
(*  Sync(k)     k sends GOV_EVENTS with everything it holds (Membership.   *)
(*              held) to the room, when one of these is due:               *)
(*               Asks(k, n)  n got an envelope whose head it does not hold *)
(*                 (session.py _receive -> Membership.knows -> logsync.py  *)
(*                 LogSync.ask: GOV_REQUEST) and k holds that head         *)
(*                 (session.py _handle GOV_REQUEST -> LogSync.answer);     *)
(*               Pushes(k, n) n's envelope shows n behind k: its head is  *)
(*                 on k's accepted chain before k's head, or its epoch is  *)
(*                 older (session.py _behind -> Membership.is_behind ->    *)
(*                 LogSync.push);                                          *)
(*               Offers(k)   k's merged log is forked (session.py _merge   *)
(*                 -> LogSync.offer).                                      *)
(*              Every other member n that lists k in its own state merges  *)
(*              the events (session.py _receive: accepts_from, then        *)
(*              _handle GOV_EVENTS -> _merge -> Membership.add).  k        *)
(*              answers a GOV_REQUEST only from a member it lists (same    *)
(*              check); a push goes out whatever k thinks of n (`_behind`  *)
(*              runs before the check).  AcceptsFromFilter = FALSE drops   *)
(*              the check (an experiment).                                 *)
(*  Done        nothing left to do: the end of a run (not a deadlock).     *)
(*                                                                         *)
(* THE ADVERSARY: an equivocating relay.  It may show any member any event *)
(* of U, in any order, or never (withholding, and dropping members' frames *)
(* for some recipients: that is showing them fewer events); it may fork   *)
(* (U has siblings with one parent); a replay is a no-op (forkchoice.py    *)
(* decode_into skips known ids).  With RelayOrphans it may show an event   *)
(* whose parent the member lacks (the code keeps orphans).  It cannot      *)
(* forge events (signatures).  It is bounded: at most MaxRelay Show steps, *)
(* so every behaviour has a last relay step (needed for liveness).  The   *)
(* events of U are what their authors signed on the heads the relay showed *)
(* them: which author saw what before signing is folded into U.           *)
(*                                                                         *)
(* NOT COVERED                                                             *)
(*  - members signing new events (REKEY after a kick, KEYSHARE, anything   *)
(*    built on a merged head): U is fixed;                                 *)
(*  - which frames flow: each member's envelopes (texts, hellos, replies)  *)
(*    are assumed to reach the others, and due exchanges to happen (weak   *)
(*    fairness), ignoring `sending_paused`, the 5 s / 10 s timers,         *)
(*    LogSync's once-per-head / once-per-asker bookkeeping, CATCH_UP       *)
(*    requests and piece reassembly;                                       *)
(*  - epochs, REKEY and confirm values (U has no REKEY or KEYSHARE; the    *)
(*    older-epoch push is kept for completeness), log-size limits,         *)
(*    malformed events and signatures (GovernanceRules abstracts them);    *)
(*  - the hash itself: Phrase(s) is the record of the fields state.py      *)
(*    RoomState.encode covers (the state hash is assumed injective).  The  *)
(*    states compared are the RoomState fields the model has: all of       *)
(*    GovernanceRules' record but its ghost `sealed` (no RoomState field,  *)
(*    moved by KEYSHARE, which changes no RoomState); encode() covers      *)
(*    `xkeys` and `pendingKick` since this model found states differing    *)
(*    only in them (Extra = {"encode-gap"}; see Phrase).                   *)
(*                                                                         *)
(* FLAGS: RevocationsFirst = FALSE drops the first key of the tie-break    *)
(* (ForkChoiceBroken_NoRevocationsFirst.cfg); RelayOrphans,                *)
(* AcceptsFromFilter and Extra are for the experiments in the report.     *)
(***************************************************************************)
EXTENDS GovernanceRules

CONSTANTS
    Owner,             \* the genesis' owner ("o")
    Senior,            \* admin promoted first in the set-up ("a")
    Junior,            \* admin promoted second ("b")
    Plain,             \* a listed member without a role ("c")
    New1, New2,        \* newcomers (keys only: they sign but hold no log here)
    Members,           \* members whose held sets are modelled (honest)
    MaxRelay,          \* Show steps the relay makes at most
    RevocationsFirst,  \* the tie-break's first key (FALSE: broken variant)
    RelayOrphans,      \* the relay may show an event without its parent
    AcceptsFromFilter, \* receivers ignore GOV_* frames from senders they do not list
    Extra              \* extra events for the report's experiments: a subset of
                       \* {"encode-gap", "second-chain", "end", "backdate"};
                       \* {} in the .cfg files

ASSUME Members \subseteq {Owner, Senior, Junior, Plain}

XKey(p) == "x_" \o p
Ticket == "t"
G == "g"            \* the genesis (with the set-up folded in)

Ev(kind, author, target) ==
    [Blank EXCEPT !.kind = kind, !.author = author, !.target = target]

\* The set-up, as in Governance.tla: members admitted with their own keys,
\* Senior then Junior promoted (so Senior ranks 1, Junior 2), one ticket.
SetUp == << [Ev("ADMIT", Owner, Senior) EXCEPT !.id = "s1", !.xkey = XKey(Senior)],
            [Ev("ADMIT", Owner, Junior) EXCEPT !.id = "s2", !.xkey = XKey(Junior)],
            [Ev("ADMIT", Owner, Plain) EXCEPT !.id = "s3", !.xkey = XKey(Plain)],
            [Ev("PROMOTE", Owner, Senior) EXCEPT !.id = "s4"],
            [Ev("PROMOTE", Owner, Junior) EXCEPT !.id = "s5"],
            [Ev("INVITE", Owner, None) EXCEPT !.id = "s6", !.ticket = Ticket,
                !.uses = 1, !.exp = 10] >>
Init0 == InitialState(Owner, XKey(Owner), "approval")
Start == Fold(Init0, SetUp)

E(id, parent, ev) == [ev EXCEPT !.id = id, !.parent = parent]

(***************************************************************************)
(* The universe.  Ids rank in this order (e1 smallest).                    *)
(*  Mutual kicks:                 e1 Senior KICKs Junior, e2 Junior KICKs  *)
(*                                Senior (siblings).                       *)
(*  Kick of an admin vs that      e1 vs e6 (Junior ADMITs New2) and e7     *)
(*  admin's ADMIT / PROMOTE:      (Junior PROMOTEs Plain, built on e6: when *)
(*                                e6 is refused by the lock e4, only the    *)
(*                                dropped-ancestor rule refuses e7).        *)
(*  LOCK vs a senior's ADMIT:     e4 Junior LOCKs vs e3 Senior ADMITs New1 *)
(*                                (the broken variant lets e3 win).        *)
(*  DEMOTE vs the demoted         e5 Senior DEMOTEs Junior vs e6 (and e7   *)
(*  admin's action:               built on it) and e4 (Junior's LOCK, a    *)
(*                                revocation too: seniority decides).      *)
(*  One ticket, two branches:     e8 New1 REDEEMs, e9 New2 REDEEMs; they   *)
(*                                also race e3 / e6 (admits of the same    *)
(*                                keys) and e4 (the lock).                 *)
(***************************************************************************)
Base ==
  << E("e1", G, Ev("KICK", Senior, Junior)),
     E("e2", G, Ev("KICK", Junior, Senior)),
     E("e3", G, [Ev("ADMIT", Senior, New1) EXCEPT !.xkey = XKey(New1)]),
     E("e4", G, Ev("LOCK", Junior, None)),
     E("e5", G, Ev("DEMOTE", Senior, Junior)),
     E("e6", G, [Ev("ADMIT", Junior, New2) EXCEPT !.xkey = XKey(New2)]),
     E("e7", "e6", Ev("PROMOTE", Junior, Plain)),
     E("e8", G, [Ev("REDEEM", New1, None) EXCEPT !.ticket = Ticket, !.time = 1,
                 !.xkey = XKey(New1)]),
     E("e9", G, [Ev("REDEEM", New2, None) EXCEPT !.ticket = Ticket, !.time = 1,
                 !.xkey = XKey(New2)]) >>
\* Extra events, off in the .cfg files (the report's experiments).
\* "encode-gap": e10 Owner KICKs Junior (a second kick of the same key: states
\*   differ only in pendingKick) and e11 New1 REDEEMs with a second X25519 key
\*   of its own (states differ only in xkeys).
\* "second-chain": e12 Senior INVITEs a ticket t2, e13 New2 REDEEMs it (a
\*   second chain of two, next to e6 -> e7: two orphans can hide each other).
\* "end": e14 Owner ENDs the room.
\* "backdate": e15 Junior INVITEs a ticket t3, e16 Owner KICKs Senior on top of
\*   it; e17 Senior ADMITs New1 and e18 PROMOTEs it, built on G (signed after
\*   the kick, on an old head, and forked in by a colluding relay).
Gap ==
  << E("e10", G, Ev("KICK", Owner, Junior)),
     E("e11", G, [Ev("REDEEM", New1, None) EXCEPT !.ticket = Ticket, !.time = 1,
                  !.xkey = XKey(New1) \o "'"]) >>
Chain2 ==
  << E("e12", G, [Ev("INVITE", Senior, None) EXCEPT !.ticket = "t2", !.uses = 1,
                  !.exp = 10]),
     E("e13", "e12", [Ev("REDEEM", New2, None) EXCEPT !.ticket = "t2", !.time = 1,
                      !.xkey = XKey(New2)]) >>
EndIt == << E("e14", G, Ev("END_ROOM", Owner, None)) >>
Backdate ==
  << E("e15", G, [Ev("INVITE", Junior, None) EXCEPT !.ticket = "t3", !.uses = 1,
                  !.exp = 10]),
     E("e16", "e15", Ev("KICK", Owner, Senior)),
     E("e17", G, [Ev("ADMIT", Senior, New1) EXCEPT !.xkey = XKey(New1)]),
     E("e18", "e17", Ev("PROMOTE", Senior, New1)) >>
Universe == Base \o (IF "encode-gap" \in Extra THEN Gap ELSE << >>)
                 \o (IF "second-chain" \in Extra THEN Chain2 ELSE << >>)
                 \o (IF "end" \in Extra THEN EndIt ELSE << >>)
                 \o (IF "backdate" \in Extra THEN Backdate ELSE << >>)
U == Range(Universe)
Ids == {e.id : e \in U}
OrdMap == [id \in Ids |-> CHOOSE i \in DOMAIN Universe : Universe[i].id = id]
Ord(id) == OrdMap[id]
EvOf(id) == Universe[OrdMap[id]]
IdsOf(H) == {e.id : e \in H}

(***************************************************************************)
(* forkchoice.py resolve_decoded                                           *)
(***************************************************************************)
\* forkchoice.py _order_key: (revocation first, seniority now, id).
Key(e, s) == << IF RevocationsFirst /\ e.kind \notin Revocations THEN 1 ELSE 0,
                Seniority(s, e.author), Ord(e.id) >>
Less(k, l) == \/ k[1] < l[1]
              \/ k[1] = l[1] /\ k[2] < l[2]
              \/ k[1] = l[1] /\ k[2] = l[2] /\ k[3] < l[3]
\* min(ready, key=...): keys are distinct (ids are), so the minimum is unique.
Pick(ready, s) == CHOOSE e \in ready : \A f \in ready \ {e} : Less(Key(e, s), Key(f, s))

\* The children of `id` in H (`children[id]`).
Kids(H, id) == {c \in H : c.parent = id}

\* The walk: `steps` records each event taken from `ready`, the state it was
\* judged on and the outcome ("ok", "dropped-ancestor" or the rule's code).
RECURSIVE Walk(_, _, _, _, _, _)
Walk(H, s, valid, steps, ready, reached) ==
    IF ready = {} THEN [state |-> s, steps |-> steps, reached |-> reached]
    ELSE
      LET e == Pick(ready, s)
          code == IF e.parent \notin valid THEN "dropped-ancestor" ELSE Code(s, e)
          ok == code = "ok"
          new == {c \in Kids(H, e.id) : c.id \notin reached}
      IN Walk(H,
              IF ok THEN After(s, e) ELSE s,
              IF ok THEN valid \cup {e.id} ELSE valid,
              Append(steps, [ev |-> e, before |-> s, code |-> code]),
              (ready \ {e}) \cup new,
              reached \cup IdsOf(new))

FullWalk(H) == Walk(H, Start, {G}, << >>, Kids(H, G), IdsOf(Kids(H, G)))

\* forked: two events share a parent (orphans count too).
Forked(H) == \E e, f \in H : e # f /\ e.parent = f.parent

\* The Resolution a walk gives: state, accepted ids in order, head, rejected
\* (id -> code), orphans, forked.
ResolutionOf(H, w) ==
    LET okSteps == SelectSeq(w.steps, LAMBDA st : st.code = "ok")
        acc == [i \in DOMAIN okSteps |-> okSteps[i].ev.id]
        bad == {w.steps[i] : i \in {j \in DOMAIN w.steps : w.steps[j].code # "ok"}}
    IN [state |-> w.state,
        accepted |-> acc,
        head |-> IF acc = << >> THEN G ELSE acc[Len(acc)],
        rejected |-> [id \in {st.ev.id : st \in bad} |->
                         (CHOOSE st \in bad : st.ev.id = id).code],
        orphans |-> IdsOf(H) \ w.reached,
        forked |-> Forked(H)]

\* TLC evaluates this table once, at start-up (a constant definition): every
\* set of events of U and its resolution.  Resolve(I) looks it up.
EvsOf(I) == {EvOf(id) : id \in I}
ResolveTable == TLCEval([I \in SUBSET Ids |-> ResolutionOf(EvsOf(I), FullWalk(EvsOf(I)))])
\* The resolution of the events with ids I.
Resolve(I) == ResolveTable[I]

(***************************************************************************)
(* membership.py Membership.add: Resolution.extend while the log is one    *)
(* clean chain and the event is a child of the head; else a full walk.     *)
(***************************************************************************)
Clean(r) == DOMAIN r.rejected = {} /\ r.orphans = {} /\ ~r.forked

\* forkchoice.py Resolution.extend, for a clean r and a child of its head.
Extend(r, e) ==
    IF Allowed(r.state, e)
    THEN [r EXCEPT !.state = After(@, e), !.accepted = Append(@, e.id), !.head = e.id]
    ELSE [r EXCEPT !.rejected = @ @@ (e.id :> Code(r.state, e))]

RECURSIVE ExtendAll(_, _)
ExtendAll(r, seq) ==
    IF seq = << >> THEN [ok |-> TRUE, r |-> r]
    ELSE IF Clean(r) /\ Head(seq).parent = r.head
         THEN ExtendAll(Extend(r, Head(seq)), Tail(seq))
         ELSE [ok |-> FALSE, r |-> r]

\* Membership.add(raws), for a member holding the ids I: `fresh` are the
\* events not held before, in order (forkchoice.py decode_into).
Add(r, I, raws) ==
    LET fresh == SelectSeq(raws, LAMBDA e : e.id \notin I)
        x == ExtendAll(r, fresh)
    IN IF fresh = << >> THEN r
       ELSE IF x.ok THEN x.r
       ELSE Resolve(I \cup IdsOf(Range(fresh)))

VARIABLES
    held,   \* held[m]: the ids of the events m holds (Membership.decoded)
    res,    \* res[m]: m's Resolution (Membership.resolution)
    shows   \* Show steps the relay has made

vars == <<held, res, shows>>

HeadOf(m) == res[m].head
StateOf(m) == res[m].state

\* Membership.held(): accepted events in order, then the others.
HeldList(m) ==
    [i \in DOMAIN res[m].accepted |-> EvOf(res[m].accepted[i])]
    \o SelectSeq(Universe, LAMBDA e : e.id \in held[m] /\ e.id \notin Range(res[m].accepted))

\* Membership.knows: the genesis or an event held (orphans and rejected ones too).
Knows(m, h) == h = G \/ h \in held[m]

\* Membership.is_behind.
IsBehind(m, h) ==
    /\ h # HeadOf(m)
    /\ IF h = G THEN res[m].accepted # << >> ELSE h \in Range(res[m].accepted)

\* Membership.accepts_from / is_member, on n's own state.
AcceptsFrom(n, k) ==
    ~AcceptsFromFilter \/
    (k \in StateOf(n).members /\ k \notin StateOf(n).removed /\ ~StateOf(n).ended)

TypeOK ==
    /\ held \in [Members -> SUBSET Ids]
    /\ shows \in 0..MaxRelay
    /\ \A m \in Members :
         /\ DOMAIN res[m] = {"state", "accepted", "head", "rejected", "orphans", "forked"}
         /\ res[m].head \in Ids \cup {G}
         /\ Range(res[m].accepted) \subseteq held[m]
         /\ DOMAIN res[m].rejected \subseteq held[m]
         /\ res[m].orphans \subseteq held[m]
         /\ res[m].forked \in BOOLEAN

Init ==
    /\ held = [m \in Members |-> {}]
    /\ res = [m \in Members |-> Resolve({})]
    /\ shows = 0

\* session.py, a Kind.GOVERNANCE frame -> Session._merge -> Membership.add:
\* the relay shows m one event (any, unless it must come after its parent).
Show(m, e) ==
    /\ shows < MaxRelay
    /\ e.id \notin held[m]
    /\ RelayOrphans \/ Knows(m, e.parent)
    /\ held' = [held EXCEPT ![m] = @ \cup {e.id}]
    /\ res' = [res EXCEPT ![m] = Add(@, held[m], << e >>)]
    /\ shows' = shows + 1

(* The head exchange.  Every frame goes to the room: the relay fans it out *)
(* (GOV_REQUEST, GOV_EVENTS and pushes carry no addressee).  A member k    *)
(* sends GOV_EVENTS with everything it holds (Membership.held) for one of  *)
(* three reasons; every other member n that lists k merges it (session.py *)
(* _receive: accepts_from before _handle; _handle GOV_EVENTS -> Session.   *)
(* _merge -> Membership.add).  The relay dropping such frames for some     *)
(* members is the relay's Show (it may show any member any event).         *)

\* session.py _receive: n gets an envelope from s carrying s's head, which it
\* does not hold (Membership.knows -> LogSync.ask -> GOV_REQUEST); k holds
\* that head and answers n (session.py _handle GOV_REQUEST, after k's own
\* accepts_from(n) -> LogSync.answer -> GOV_EVENTS).
Asks(k, n) ==
    \E s \in Members \ {n} :
        /\ AcceptsFrom(n, s) /\ ~Knows(n, HeadOf(s))   \* n asks
        /\ AcceptsFrom(k, n) /\ Knows(k, HeadOf(s))    \* k answers

\* session.py _behind (Membership.is_behind, or an envelope sealed in an older
\* epoch) -> LogSync.push: k sends its log for n, whatever n's standing in
\* k's state (`_behind` runs before the accepts_from check).
Pushes(k, n) ==
    IsBehind(k, HeadOf(n)) \/ StateOf(n).epoch < StateOf(k).epoch

\* session.py _merge -> LogSync.offer: k's merged log is forked; it sends
\* everything it holds.
Offers(k) == res[k].forked

\* (Evaluated as one boolean, so that TLC makes one successor, not one per reason.)
Due(k) == \E n \in Members \ {k} : Asks(k, n) \/ Pushes(k, n) \/ Offers(k)

\* The members that take k's GOV_EVENTS.
Receivers(k) == {n \in Members \ {k} : AcceptsFrom(n, k)}

Sync(k) ==
    /\ Due(k) = TRUE
    /\ \E n \in Receivers(k) : ~(held[k] \subseteq held[n])
    /\ held' = [n \in Members |-> IF n \in Receivers(k) THEN held[n] \cup held[k]
                                                        ELSE held[n]]
    /\ res' = [n \in Members |-> IF n \in Receivers(k)
                                 THEN Add(res[n], held[n], HeldList(k))
                                 ELSE res[n]]
    /\ UNCHANGED shows

Exchange == \E k \in Members : Sync(k)

\* Nothing left to do (the relay has stopped and no exchange is due): TLC
\* would call it a deadlock; it is the end of the run.
Done == UNCHANGED vars

Next ==
    \/ \E m \in Members, e \in U : Show(m, e)
    \/ Exchange
    \/ Done

\* Weak fairness of the head exchange among the honest members: while some
\* exchange is due, one happens.  Every Sync step adds events to a held set,
\* so with a bounded relay this already forces every due exchange to happen:
\* a fair behaviour ends in a state where none is due.  (Per-member
\* WF_vars(Sync(k)) is a stronger assumption, so what holds here holds under
\* it; it costs TLC one fairness condition per member instead of one.)
Fairness == WF_vars(Exchange)

Spec == Init /\ [][Next]_vars /\ Fairness

(***************************************************************************)
(* Properties                                                              *)
(***************************************************************************)
\* Two members holding the same events have the same state and head, however
\* and in whatever order the events came (Membership.add: `extend` on a clean
\* chain, else a full walk); so has a member that merged them all at once.
Convergence ==
    /\ \A m, n \in Members :
          held[m] = held[n] => StateOf(m) = StateOf(n) /\ HeadOf(m) = HeadOf(n)
    /\ \A m \in Members :
          StateOf(m) = Resolve(held[m]).state /\ HeadOf(m) = Resolve(held[m]).head

\* Replaying a sequence: whether every event is allowed, and the state after.
RECURSIVE Replay(_, _)
Replay(s, seq) ==
    IF seq = << >> THEN [ok |-> TRUE, state |-> s]
    ELSE IF Allowed(s, Head(seq)) THEN Replay(After(s, Head(seq)), Tail(seq))
    ELSE [ok |-> FALSE, state |-> s]

\* The set-up is a valid log: every event of it is allowed (checked once).
ASSUME Replay(Init0, SetUp).ok /\ Replay(Init0, SetUp).state = Start

\* The accepted sequence is a tree under the genesis, taken parents first
\* (each accepted event's parent is G or an earlier accepted event); replaying
\* it after the set-up with GovernanceRules from the initial state accepts
\* every event (Allowed) and gives m's state (Fold); the head is its last
\* event.  (The set-up's replay is the ASSUME above: Start.)
HeadIsValidLog ==
    \A m \in Members :
        LET A == [i \in DOMAIN res[m].accepted |-> EvOf(res[m].accepted[i])]
        IN /\ \A i \in DOMAIN A :
                  A[i].parent = G \/ \E j \in 1..(i - 1) : A[j].id = A[i].parent
           /\ Replay(Start, A).ok
           /\ Fold(Start, A) = StateOf(m)
           /\ HeadOf(m) = IF A = << >> THEN G ELSE A[Len(A)].id

\* state.py RoomState.encode: the fields the state hash (and so the safety
\* phrase) covers.  The hash is assumed injective, so the phrase is this record.
\* encode() also has room_id and the epoch's confirm value (one room; no REKEY
\* here); it omits auth_pk (fixed by the genesis; room_id is its hash) and
\* log_events/log_bytes.  It omitted x_keys and pending_kick until this model
\* found two states with one phrase (Extra = {"encode-gap"}); both are in now,
\* and tests/governance/test_rules.py holds the two cases.
Phrase(s) == [owner |-> s.owner, admins |-> s.admins, members |-> s.members,
              removed |-> s.removed, rule |-> s.rule, cap |-> s.cap,
              locked |-> s.locked, ended |-> s.ended, epoch |-> s.epoch,
              invites |-> s.invites, xkeys |-> s.xkeys, pendingKick |-> s.pendingKick]

\* The RoomState fields the model has (GovernanceRules' ghost `sealed` is not one).
CodeState(s) == [f \in DOMAIN s \ {"sealed"} |-> s[f]]

PhraseDiffersWhenStatesDiffer ==
    \A m, n \in Members :
        CodeState(StateOf(m)) # CodeState(StateOf(n)) => Phrase(StateOf(m)) # Phrase(StateOf(n))

\* A revocation r and a sibling x (same parent), both walked with that parent
\* valid.  Judge them on T, the state the walk was in when it took the first
\* of the two (siblings become ready together, so both were ready then and
\* the tie-break chose between them).  If r's author may do r on T, x is
\* allowed on T, r would forbid x (x is refused on After(T, r)), and x is
\* not a revocation by an author at least as senior on T (between two
\* revocations seniority decides), then:
\*  - r is taken before x, and accepted;
\*  - if r's effect cannot be undone by a later event (LOCK, END_ROOM,
\*    REVOKE_INVITE, a KICK without a rule change: locked, ended, revoked and
\*    removed are for good), x is not accepted at all.  (A DEMOTE can be
\*    undone by a later PROMOTE, a kick's rule by SET_JOIN_RULE.)
\* E.g. LOCK (by an admin) vs ADMIT: the ADMIT is refused; KICK of X vs X's
\* own event (an ADMIT, or X's KICK of its kicker in mutual kicks, where the
\* kicker ranks above X): X's event is refused.
Permanent(r) == r.kind \in {"LOCK", "END_ROOM", "REVOKE_INVITE"} \/
                (r.kind = "KICK" /\ r.rule = None)

RevocationsWinIn(H) ==
    LET w == FullWalk(H)
        Pos(e) == CHOOSE i \in DOMAIN w.steps : w.steps[i].ev = e
        Walked == {w.steps[i].ev : i \in DOMAIN w.steps}
    IN \A r, x \in Walked :
         LET i == Pos(r)
             j == Pos(x)
             T == w.steps[IF i < j THEN i ELSE j].before
         IN (/\ r.kind \in Revocations /\ r # x /\ r.parent = x.parent
             /\ w.steps[i].code # "dropped-ancestor"
             /\ (x.kind \in Revocations => Seniority(T, r.author) < Seniority(T, x.author))
             /\ Allowed(T, r) /\ Allowed(T, x) /\ ~Allowed(After(T, r), x))
            => /\ i < j
               /\ w.steps[i].code = "ok"
               /\ Permanent(r) => w.steps[j].code # "ok"

\* (Tabled like Resolve: evaluated once per set of events.)
RevocationsWinTable == TLCEval([I \in SUBSET Ids |-> RevocationsWinIn(EvsOf(I))])
RevocationsWin == \A m \in Members : RevocationsWinTable[held[m]]

\* Liveness.  The relay stops (MaxRelay); under weak fairness of the head
\* exchange, the honest members end with one state and head.  The members
\* this can promise: those the merge of everything the members hold does not
\* remove.  A member kicked on a branch of its own is never taught (the
\* others ignore its frames: accepts_from; see the report); with
\* AcceptsFromFilter = FALSE, AgreeAll holds too.
Union == UNION {held[m] : m \in Members}
InRoom(m) == m \notin Resolve(Union).state.removed
Agree == \A m, n \in Members : InRoom(m) /\ InRoom(n) =>
            StateOf(m) = StateOf(n) /\ HeadOf(m) = HeadOf(n)
HonestConverge == <>[]Agree

(***************************************************************************)
(* For the report's experiments; not checked in the .cfg files.             *)
(***************************************************************************)
\* Every member, kicked or not, ends with the others' state.
AgreeAll == \A m, n \in Members : StateOf(m) = StateOf(n) /\ HeadOf(m) = HeadOf(n)
HonestConvergeAll == <>[]AgreeAll

\* The members end holding the same events.
SameEvents == \A m, n \in Members : held[m] = held[n]
HonestConvergeHeld == <>[]SameEvents

\* HonestConverge as an invariant: a state where no exchange is due is one
\* the run may end in (the relay may stop there), so it must agree.  Finds
\* the same counterexamples faster.
StuckAgrees == (ENABLED Exchange) \/ Agree
StuckAgreesAll == (ENABLED Exchange) \/ AgreeAll

\* The accepted sequence is one chain (each event's parent is the one before).
\* False: two siblings that both apply are both accepted (a tree), and the
\* head's own ancestry then misses some accepted events.
AcceptedIsChain ==
    \A m \in Members : \A i \in DOMAIN res[m].accepted :
        EvOf(res[m].accepted[i]).parent = IF i = 1 THEN G ELSE res[m].accepted[i - 1]

\* A kick beats its target's events on EVERY concurrent branch, not only on
\* sibling ones: no accepted event by X is concurrent with (neither an
\* ancestor nor a descendant of) an accepted KICK of X.  False: the walk
\* orders only what is ready together, so X's event built on an older head
\* can be taken before the kick is even ready (Extra = {"backdate"}).
RECURSIVE Anc(_)
Anc(id) == IF id = G THEN {G} ELSE {id} \cup Anc(EvOf(id).parent)
KickWinsOnEveryBranch ==
    \A m \in Members :
        LET acc == Range(res[m].accepted) IN
        \A k, x \in acc :
            EvOf(k).kind = "KICK" /\ EvOf(x).author = EvOf(k).target
            => k \in Anc(x) \/ x \in Anc(k)

(***************************************************************************)
(* The walk on EVERY set of events of U, not only the sets the relay's      *)
(* MaxRelay steps reach.  Checked once, at start-up, as assumptions (TLC   *)
(* reports "Assumption ... is false"); the revocations one only where the  *)
(* rule has revocations first (the broken variant must fail on the        *)
(* invariant, in a reachable state, instead).                              *)
(***************************************************************************)
ValidLogIn(I) ==
    LET r == Resolve(I)
        A == [i \in DOMAIN r.accepted |-> EvOf(r.accepted[i])]
    IN /\ \A i \in DOMAIN A :
             A[i].parent = G \/ \E j \in 1..(i - 1) : A[j].id = A[i].parent
       /\ Replay(Start, A).ok
       /\ Replay(Start, A).state = r.state
       /\ r.head = IF A = << >> THEN G ELSE A[Len(A)].id

ASSUME \A I \in SUBSET Ids : ValidLogIn(I)
ASSUME RevocationsFirst => \A I \in SUBSET Ids : RevocationsWinTable[I]
=============================================================================
