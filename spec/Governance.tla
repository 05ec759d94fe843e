------------------------------ MODULE Governance ------------------------------
(***************************************************************************)
(* Governance and keys against a malicious relay colluding with a member   *)
(* it helps remove (PROTOCOL §8.3, §8.6, §8.8, §8.9).                       *)
(*                                                                         *)
(* The log is the relay's single chain (compare-and-set, rooms/store.py    *)
(* _APPEND); forks and the merge rule are ForkChoice.tla's.  Every append  *)
(* goes through GovernanceRules (state.py `apply`).  Epoch secrets are     *)
(* tracked as knowledge: `knows[p]` is the set of epoch counters p can     *)
(* derive.  Everyone with the link derives epoch 0.                        *)
(*                                                                         *)
(* The adversary is the relay plus Mallory (a listed member that an admin  *)
(* may kick).  The relay:                                                  *)
(*  - delivers the log to each member when it likes, or never (withholding *)
(*    a kick or a REKEY from some members; on the relay's single chain,    *)
(*    reordering and replay come to delivering later: a member applies an  *)
(*    event only once it holds its parent, an orphan waits, and a replay   *)
(*    is skipped, atopos_client/membership.py Membership.add);             *)
(*  - reads every event on the wire: whatever is sealed to Mallory's key,  *)
(*    Mallory opens at once;                                               *)
(*  - injects hellos under any member's name, sealed in any epoch Mallory  *)
(*    holds, naming Mallory's X25519 key or the victim's (a hello needs    *)
(*    only the epoch key, atopos_client/session.py);                       *)
(*  - drops anything (no fairness: this model checks safety).              *)
(* Not modelled here: confirm values and the AEAD (an epoch is its         *)
(* counter; a seal opens only with the private half of the key it names), *)
(* text envelopes' contents, mix mode, ticket times (Join.tla).            *)
(*                                                                         *)
(* Broken variants (flags, one .cfg each, tests/spec/test_broken_models.py)*)
(*  SealToHelloKey: an admin answers a hello with a KEYSHARE sealed to the *)
(*    X25519 key the hello names, and the log rule `wrong-key` is gone     *)
(*    (the key-substitution attack, tests/attacks/test_hello_key_          *)
(*    substitution.py);                                                    *)
(*  AnswerRemoved: an admin answers hellos from removed members and the    *)
(*    log rule `_listed` for KEYSHARE is gone (tests/attacks/              *)
(*    test_key_share_solicitation.py);                                     *)
(*  IgnoreNewerEpochs: a member that receives a text sealed in an epoch    *)
(*    its log has not reached keeps sending in its old epoch, which the    *)
(*    removed member still reads (the withheld-kick attack,                *)
(*    tests/attacks/test_withheld_kick.py).                                *)
(***************************************************************************)
EXTENDS GovernanceRules

CONSTANTS
    Owner,          \* the genesis' owner
    Others,         \* honest members listed in the set-up
    Admins,         \* those of Others promoted in the set-up
    Mallory,        \* listed at first; colludes with the relay throughout
    Newcomer,       \* holds the link; knocks; an admin may ADMIT it
    MaxLog,         \* events appended after the set-up
    MaxEpoch,       \* highest epoch counter explored
    Texts,          \* explore texts and warnings (a second, smaller config)
    SealToHelloKey, \* broken variant (see above)
    AnswerRemoved,  \* broken variant (see above)
    IgnoreNewerEpochs \* broken variant (see above)

People == {Owner, Mallory, Newcomer} \cup Others
Honest == People \ {Mallory}
Epochs == 0..MaxEpoch

\* Each person's own X25519 key: only they hold its private half.
XKey(p) == "x_" \o p

Ev(kind, author, target) ==
    [Blank EXCEPT !.kind = kind, !.author = author, !.target = target]

\* The set-up the models start from: Others and Mallory admitted with their own
\* keys (ADMIT copies a knock's binding), then Admins promoted.
RECURSIVE Listing(_, _, _)
Listing(kind, keys, n) ==
    IF keys = {} THEN << >>
    ELSE LET k == CHOOSE x \in keys : TRUE IN
         << [Ev(kind, Owner, k) EXCEPT !.id = kind \o ToString(n), !.xkey = XKey(k)] >>
            \o Listing(kind, keys \ {k}, n + 1)
SetUp == Listing("ADMIT", Others \cup {Mallory}, 1) \o Listing("PROMOTE", Admins, 1)
Start == Fold(InitialState(Owner, XKey(Owner), "approval"), SetUp)

VARIABLES
    log,      \* the relay's chain after the set-up: << event, ... >>
    hist,     \* hist[i + 1]: the state after i events of `log` (hist[1] = Start)
    view,     \* view[p]: how many events of `log` the relay has delivered to p
    knows,    \* knows[p]: the epoch counters p can derive
    texts,    \* texts[h]: the log position h's last text carried as its head (-1: none)
    seen,     \* seen[p]: the highest epoch of a text p could not open (newer_epoch_seen)
    stable,   \* stable[r]: r's head has stood a while (the code's 5 s)
    behind,   \* behind[r]: senders whose text showed them behind r's log
    warned,   \* warned[r]: senders r has warned about (and pushed its log to)
    stale     \* members that sent a text after seeing the room had moved on

vars == <<log, hist, view, knows, texts, seen, stable, behind, warned, stale>>

St == hist[Len(hist)]           \* the relay's head state
StateOf(p) == hist[view[p] + 1] \* the state p's log gives
AtHead(p) == view[p] = Len(log) \* p's appends pass the compare-and-set

Max(S) == CHOOSE x \in S : \A y \in S : y <= x

\* The keys of the epoch p's log is in (Membership.current).
HoldsCurrent(p) == StateOf(p).epoch \in knows[p]

\* Membership.sending_paused: ended, a kick without its re-key, no current
\* keys, or texts seen in an epoch the log has not reached.
Paused(p) ==
    LET s == StateOf(p) IN s.ended \/ s.pendingKick # None \/ ~HoldsCurrent(p)
                   \/ (~IgnoreNewerEpochs /\ seen[p] > s.epoch)

\* Membership.is_member, on p's own log.
Listed(s, p) == p \in s.members /\ p \notin s.removed /\ ~s.ended

\* The epoch counter in force when `r` was kicked: all r may ever know.
KickedAt(r) ==
    LET i == CHOOSE j \in DOMAIN log : log[j].kind = "KICK" /\ log[j].target = r
    IN hist[i].epoch

Opens(p, key) == key = XKey(p)   \* a seal opens only with its key's private half

TypeOK ==
    /\ Len(hist) = Len(log) + 1
    /\ view \in [People -> 0..Len(log)]
    /\ knows \in [People -> SUBSET Epochs]
    /\ texts \in [Honest -> -1..MaxLog]
    /\ seen \in [People -> Epochs]
    /\ stable \in [Honest -> BOOLEAN]
    /\ behind \in [Honest -> SUBSET Honest]
    /\ warned \in [Honest -> SUBSET Honest]
    /\ stale \subseteq Honest

Init ==
    /\ log = << >>
    /\ hist = << Start >>
    /\ view = [p \in People |-> 0]
    /\ knows = [p \in People |-> {0}]   \* epoch 0 comes from the link
    /\ texts = [h \in Honest |-> -1]
    /\ seen = [p \in People |-> 0]
    /\ stable = [r \in Honest |-> TRUE]
    /\ behind = [r \in Honest |-> {}]
    /\ warned = [r \in Honest |-> {}]
    /\ stale = {}

(* The rule the relay appends with (governance/rules.py check_append ->      *)
(* state.py apply, i.e. GovernanceRules.Code), weakened in the variants.    *)
RuleAllows(s, e) ==
    \/ Allowed(s, e)
    \/ /\ e.kind = "KEYSHARE" /\ e.counter = s.epoch /\ ~s.ended
       /\ \/ SealToHelloKey /\ Listed(s, e.target)          \* no `wrong-key`
          \/ AnswerRemoved /\ e.target \in s.removed        \* no `_listed`

NextState(s, e) ==
    IF Allowed(s, e) THEN After(s, e) ELSE [s EXCEPT !.sealed = @ \cup {e.target}]

\* rooms/consumers.py RoomConsumer._commit: check, compare-and-set, publish.
\* The author holds what it sealed at once; the relay reads every seal on the
\* wire, so whatever is sealed to Mallory's key is Mallory's now, whatever it
\* later delivers.  `seals` is the set of (epoch, key) the event carries.
Publish(e, seals) ==
    /\ Len(log) < MaxLog
    /\ RuleAllows(St, e)
    /\ log' = Append(log, e)
    /\ hist' = Append(hist, NextState(St, e))
    /\ view' = [view EXCEPT ![e.author] = Len(log) + 1]
    /\ knows' = [p \in People |-> knows[p] \cup
                    {c[1] : c \in {c2 \in seals : p = e.author \/
                                                  (p = Mallory /\ Opens(Mallory, c2[2]))}}]
    /\ stable' = [stable EXCEPT ![e.author] = FALSE]
    /\ UNCHANGED <<texts, seen, behind, warned, stale>>

NewId(prefix) == prefix \o ToString(Len(log) + 1)

(* Honest members' actions.  Each acts on its own log; only one at the      *)
(* relay's head passes the compare-and-set (the others get `stale-parent`,  *)
(* and re-base once the relay delivers the rest).                           *)

\* The kick command (atopos_client/session.py) -> KICK event.
Kick(a, t) ==
    /\ a \in Honest /\ AtHead(a) /\ ~StateOf(a).ended
    /\ LET e == [Ev("KICK", a, t) EXCEPT !.id = NewId("k")]
       IN Allowed(St, e) /\ Publish(e, {})

\* membership.py Membership._rekey_duty -> rekey.py build_rekey: the next epoch,
\* sealed to every listed member but the author, with the key the LOG binds.
Rekey(a) ==
    /\ a \in Honest /\ AtHead(a)
    /\ St.epoch < MaxEpoch /\ St.epoch \in knows[a]
    /\ LET to == {k \in St.members \ {a} : k \in DOMAIN St.xkeys}
           e == [Ev("REKEY", a, None) EXCEPT !.id = NewId("r"), !.counter = St.epoch + 1,
                 !.kick = St.pendingKick, !.recipients = to]
       IN /\ Allowed(St, e)
          /\ Publish(e, {<<St.epoch + 1, St.xkeys[k]>> : k \in to} \cup
                        {<<St.epoch + 1, XKey(a)>>})

\* An admin ADMITs the knocking newcomer with the binding its knock carried.
Admit(a) ==
    /\ a \in Honest /\ AtHead(a)
    /\ LET e == [Ev("ADMIT", a, Newcomer) EXCEPT !.id = NewId("a"), !.xkey = XKey(Newcomer)]
       IN Allowed(St, e) /\ Publish(e, {})

\* The owner promotes a listed member.
Promote(a, t) ==
    /\ a \in Honest /\ AtHead(a)
    /\ LET e == [Ev("PROMOTE", a, t) EXCEPT !.id = NewId("p")]
       IN Allowed(St, e) /\ Publish(e, {})

(* Hellos.  A listed member behind on keys says hello in the newest epoch    *)
(* it holds (session.py _hello); the relay forges others in anyone's name, *)
(* sealed in an epoch Mallory holds, naming Mallory's key or the victim's. *)
HelloPossible(from, e, key) ==
    \/ /\ from \in Honest /\ ~HoldsCurrent(from)
       /\ e = Max(knows[from]) /\ key = XKey(from)
    \/ e \in knows[Mallory] /\ key \in {XKey(Mallory), XKey(from)}

\* membership.py Membership.hello_duties -> rekey.py build_keyshare: for a hello
\* sealed in an older epoch from a listed member, a KEYSHARE sealed to the key
\* the log binds to that member, whoever sent the hello.  (session.py also
\* drops a hello naming an unbound key; the variants drop that too.)
AnswerHello(a, from, e, key) ==
    /\ a \in Honest /\ AtHead(a) /\ from # a
    /\ IsAdmin(St, a) /\ ~Paused(a)
    /\ HelloPossible(from, e, key)
    /\ e < St.epoch
    /\ \/ Listed(St, from) /\ (SealToHelloKey \/ key = St.xkeys[from])
       \/ AnswerRemoved /\ from \in St.removed
    /\ LET to == IF SealToHelloKey \/ from \notin DOMAIN St.xkeys
                 THEN key ELSE St.xkeys[from]
           ev == [Ev("KEYSHARE", a, from) EXCEPT !.id = NewId("h"),
                  !.counter = St.epoch, !.xkey = to]
       IN Publish(ev, {<<St.epoch, to>>})

(* The relay's choices: deliver the log to someone (or not), and carry     *)
(* texts (or not).                                                         *)

\* The relay delivers p's next event (GOVERNANCE frame); p opens what is
\* sealed to it: a REKEY entry if it holds the epoch before (membership.py
\* _take_rekey), a KEYSHARE (open_keyshare).
Deliver(p) ==
    /\ view[p] < Len(log)
    /\ p \in St.members \cup St.removed   \* a newcomer gets the log with its WELCOME
    /\ LET e == log[view[p] + 1]
           gain == IF \/ e.kind = "REKEY" /\ p \in e.recipients /\ e.counter - 1 \in knows[p]
                      \/ e.kind = "KEYSHARE" /\ Opens(p, e.xkey)
                   THEN {e.counter} ELSE {}
       IN /\ view' = [view EXCEPT ![p] = @ + 1]
          /\ knows' = [knows EXCEPT ![p] = @ \cup gain]
    /\ stable' = IF p \in Honest THEN [stable EXCEPT ![p] = FALSE] ELSE stable
    /\ UNCHANGED <<log, hist, texts, seen, behind, warned, stale>>

\* A listed member sends a text (session.py send_text), sealed in its current
\* epoch, carrying its governance head.
Send(h) ==
    /\ h \in Honest /\ Listed(StateOf(h), h) /\ ~Paused(h)
    /\ texts' = [texts EXCEPT ![h] = view[h]]
    /\ stale' = IF seen[h] > StateOf(h).epoch THEN stale \cup {h} ELSE stale
    /\ UNCHANGED <<log, hist, view, knows, seen, stable, behind, warned>>

\* The relay hands r the last text h sent.  session.py: a text whose head is an
\* event of r's chain before r's own head shows its sender behind; once r's
\* head has stood (5 s) r warns and pushes its log (logsync.py LogSync.push).
\* A text sealed in an epoch r does not hold, above its log's, pauses r
\* (membership.py saw_unknown_epoch, `lagging`).
Receive(r, h) ==
    /\ r \in Honest /\ h \in Honest /\ r # h /\ texts[h] >= 0
    /\ Listed(StateOf(r), r)
    /\ LET at == texts[h]
           sealedIn == hist[at + 1].epoch
           isBehind == at < view[r]
       IN /\ behind' = [behind EXCEPT ![r] = IF isBehind THEN @ \cup {h} ELSE @]
          /\ warned' = [warned EXCEPT ![r] = IF isBehind /\ stable[r] THEN @ \cup {h} ELSE @]
          /\ seen' = [seen EXCEPT ![r] = IF sealedIn \notin knows[r] /\ sealedIn > @
                                            THEN sealedIn ELSE @]
    /\ UNCHANGED <<log, hist, view, knows, texts, stable, stale>>

\* Time passes for r: its head has stood 5 s; it warns about every sender its
\* texts showed behind (session.py, the lag check on each tick).
Settle(r) ==
    /\ r \in Honest /\ ~stable[r]
    /\ stable' = [stable EXCEPT ![r] = TRUE]
    /\ warned' = [warned EXCEPT ![r] = @ \cup behind[r]]
    /\ UNCHANGED <<log, hist, view, knows, texts, seen, behind, stale>>

\* A member's push of its log to a sender it warned about: the relay may drop
\* it (then the room is partitioned, which members see as silence).
Push(r, h) ==
    /\ r \in Honest /\ h \in warned[r] /\ view[h] < view[r]
    /\ view' = [view EXCEPT ![h] = view[r]]
    /\ knows' = [knows EXCEPT ![h] = @ \cup
                    {log[i].counter : i \in {j \in view[h] + 1..view[r] :
                        \/ log[j].kind = "KEYSHARE" /\ Opens(h, log[j].xkey)
                        \/ log[j].kind = "REKEY" /\ h \in log[j].recipients}}]
    /\ stable' = [stable EXCEPT ![h] = FALSE]
    /\ UNCHANGED <<log, hist, texts, seen, behind, warned, stale>>

Done == Len(log) = MaxLog /\ UNCHANGED vars

Next ==
    \/ \E a \in Honest, t \in People : Kick(a, t)
    \/ \E t \in People : Promote(Owner, t)
    \/ \E a \in Honest : Rekey(a) \/ Admit(a)
    \/ \E a \in Honest, from \in People, e \in Epochs, k \in {XKey(p) : p \in People} :
          AnswerHello(a, from, e, k)
    \* Mallory reads every event on the wire: what the relay delivers to it is moot.
    \/ \E p \in Honest : Deliver(p)
    \/ Texts /\ \E h \in Honest : Send(h)
    \/ Texts /\ \E r, h \in Honest : Receive(r, h) \/ Push(r, h)
    \/ Texts /\ \E r \in Honest : Settle(r)
    \/ Done

Spec == Init /\ [][Next]_vars

(***************************************************************************)
(* Invariants                                                              *)
(***************************************************************************)
\* A removed member never holds an epoch begun after its kick: in particular,
\* once the kick's REKEY is in the log, never the current one.
RemovedNeverHoldsCurrentEpoch ==
    \A r \in St.removed : \A c \in knows[r] : c <= KickedAt(r)

\* Authority: every event of the log was allowed by the rules on the state
\* before it (admin-only kinds by an admin, seniority for demotes and kicks).
Authority ==
    \A i \in DOMAIN log : log[i].kind \notin {"BIND", "REDEEM", "END_ROOM"} =>
        IsAdmin(hist[i], log[i].author)

\* Revocation: a removed key is never listed, never an admin, never sealed
\* the epoch by the log, never the author of a later event.
Revocation ==
    /\ RevokedStaysOut(St)
    /\ \A i, j \in DOMAIN log : i < j /\ log[i].kind = "KICK" => log[j].author # log[i].target

\* Keys come from the log only: every listed member's bound key is its own.
KeysFromLog == \A k \in DOMAIN St.xkeys : St.xkeys[k] = XKey(k)

\* A member that receives texts from a sender behind on governance has
\* warned about it by the time its own head has stood (one Settle).
BehindSendersWarned == \A r \in Honest : stable[r] => behind[r] \subseteq warned[r]
\* Nobody sends a text after a text showed it the room had moved to an epoch
\* its log has not reached (what it sent would be readable by the removed).
NothingSentBehindANewerEpoch == stale = {}

(***************************************************************************)
(* Witnesses: "invariants" that must FAIL, so that a pass above is not     *)
(* vacuous (each shows a state the checks above did cover).                *)
(***************************************************************************)
\* Mallory kicked, the kick re-keyed, and the relay forging hellos meanwhile.
NoRekeyAfterMalloryKicked ==
    ~(Mallory \in St.removed /\ St.epoch > 0)
\* An admin answered a hello with a key share.
NoKeyShare == \A j \in DOMAIN log : log[j].kind # "KEYSHARE"
\* The relay withheld the log from a member that then sent a text.
NoSenderBehind == \A r \in Honest : behind[r] = {}
=============================================================================
