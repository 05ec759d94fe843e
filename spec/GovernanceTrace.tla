--------------------------- MODULE GovernanceTrace ---------------------------
(***************************************************************************)
(* Trace validation: is what the Python code did a behaviour of the spec?  *)
(*                                                                         *)
(* `make spec` runs the governance, attack and client tests with the       *)
(* recorder (tests/support/tla_traces.py), which follows every call of     *)
(* atopos_protocol/governance/state.py `apply` from a genesis.  Each trace *)
(* is the genesis state and, per call, the event, the code Python gave     *)
(* ("ok" or the refusal) and the state after, abstracted by                *)
(* evidence/spec_traces.py into GovernanceTraceData.tla.                   *)
(*                                                                         *)
(* TLC walks each trace: a step is taken only if the spec's `Code` gives   *)
(* the code Python gave and, when accepted, the spec's `After` is the      *)
(* state Python reached.  A step that does not match leaves no successor:  *)
(* TLC stops with "Deadlock reached" at that trace and step, so a trace    *)
(* that stops matching part way fails.  `Done` lets a trace that matched   *)
(* to its end stutter.  The runner also checks that TLC saw exactly one    *)
(* distinct state per trace position (no trace skipped, none vacuous).     *)
(***************************************************************************)
EXTENDS GovernanceRules, GovernanceTraceData

VARIABLES t, i, st

Init ==
    /\ t \in 1..Len(Traces)
    /\ i = 0
    /\ st = Traces[t].start
    \* Every trace starts at a genesis: the owner alone, under its join rule.
    /\ st = InitialState(st.owner, st.xkeys[st.owner], st.rule)

Step ==
    /\ i < Len(Traces[t].steps)
    /\ LET s == Traces[t].steps[i + 1] IN
          /\ Code(st, s.event) = s.code
          /\ st' = s.state
          /\ IF s.code = "ok" THEN After(st, s.event) = s.state ELSE s.state = st
    /\ i' = i + 1
    /\ t' = t

Done == i = Len(Traces[t].steps) /\ UNCHANGED <<t, i, st>>

Next == Step \/ Done

Spec == Init /\ [][Next]_<<t, i, st>>

\* What the real code's states satisfy, step by step.
StateInvariants == RevokedStaysOut(st) /\ KeysBoundByLog(st) /\ TicketsWithinUses(st)
=============================================================================
