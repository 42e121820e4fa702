\* SPDX-License-Identifier: GPL-2.0 OR MIT
------------------------------ MODULE RingMPSC ------------------------------
(***************************************************************************)
(* The ringmpsc protocol (spec.md sections 2-4): one SPSC ring per         *)
(* producer, one consumer, the NEED_WAKEUP handshake in both directions,   *)
(* and the lifecycle: producer and consumer deaths at any step, DETACHED   *)
(* rings drained and recycled with a new generation, new producers and    *)
(* consumers attaching. tla/ringmpsc.pml is the same model in Promela,     *)
(* step for step; spin checks that one in CI (tla/README.md).              *)
(*                                                                         *)
(* Memory model: x86-TSO. Each user process (producers 0..NP-1, the        *)
(* consumer C = NP) owns a FIFO store buffer sb[me]. Its stores - slots,   *)
(* indices, flags - are appended there; Flush(me) moves the oldest to mem  *)
(* at any time; a load sees the youngest own buffered store to the word,   *)
(* else mem; a full barrier is "sb[me] = << >>". The one reordering TSO    *)
(* allows, a load passing an earlier store, is what the Dekker pair of     *)
(* NEED_WAKEUP guards (INV-WAKE-01/02). TSO keeps store-store and          *)
(* load-load/store order, which is all release/acquire ask of x86          *)
(* (INV-RING-05). The module acts in single steps: it runs under the       *)
(* channel lock, and an x86 lock is a full barrier; the words it writes    *)
(* (ring state, generation, ring_epoch, consumer presence) and eventfd     *)
(* counters are plain, sequentially consistent variables.                  *)
(*                                                                         *)
(* The publisher's half of each Dekker pair (INV-WAKE-02) has two modes.   *)
(* ASYM = FALSE: every publisher runs a full barrier between its index     *)
(* store and its flag load (the library's fallback). ASYM = TRUE: a        *)
(* process in REG (registered for MEMBARRIER_CMD_GLOBAL_EXPEDITED)         *)
(* publishes with a compiler barrier only; the sleeper, after its own full *)
(* barrier, calls membarrier(), which runs a full barrier on the CPU of    *)
(* every other registered process: one step Drain(q) per such q, in any    *)
(* order, others running between them, all before the re-check. With      *)
(* MBFAIL the call may fail; the sleeper then sleeps in bounded slices     *)
(* (INV-WAKE-06): a time-out step is enabled while it sleeps.              *)
(***************************************************************************)
EXTENDS Naturals, Integers, Sequences

CONSTANTS
    NP,       \* producers; producer p owns ring p
    CAP,      \* slots per ring
    MSGS,     \* messages producer 0 commits over all its lives
    MSGS1,    \* the same for producers 1..NP-1
    BATCH,    \* largest reservation
    PCRASH,   \* producer deaths in a behaviour
    CCRASH,   \* consumer deaths in a behaviour
    ASYM,     \* the asymmetric barrier (membarrier); FALSE: all fence
    REG,      \* with ASYM: the registered processes (store buffers 0 .. NP)
    MBFAIL    \* with ASYM: membarrier() may fail (INV-WAKE-06)

ASSUME /\ NP \in Nat \ {0}
       /\ CAP \in Nat \ {0}
       /\ MSGS \in Nat /\ MSGS1 \in Nat
       /\ BATCH \in 1 .. CAP
       /\ PCRASH \in Nat /\ CCRASH \in Nat
       /\ ASYM \in BOOLEAN /\ MBFAIL \in BOOLEAN
       /\ REG \subseteq 0 .. NP

Rings == 0 .. NP - 1
C     == NP                  \* the consumer's store buffer
Procs == 0 .. NP

\* Words of a ring: PROD page, CONS page, DATA (slot i at SlotW(i)).
TAILW  == 0                  \* written by the producer
PFLAGW == 1                  \* producer NEED_WAKEUP
HEADW  == 2                  \* written by the consumer
CFLAGW == 3                  \* consumer NEED_WAKEUP
SlotW(i) == 4 + (i % CAP)
Addr == Rings \X (0 .. 3 + CAP)

\* A message: generation and sequence (sequence i+1 at index i); a zeroed
\* slot holds NoMsg.
Msg(g, s) == <<g, s>>
NoMsg == <<0, 0>>
Zero(w) == IF w >= 4 THEN NoMsg ELSE 0

\* enum ringmpsc_ring_state
FREE     == 1
ACTIVE   == 2
DETACHED == 3

Budget(p) == IF p = 0 THEN MSGS ELSE MSGS1
Min(a, b) == IF a < b THEN a ELSE b

VARIABLES
    mem, sb,                                  \* memory, store buffers
    state, gen, repoch, cpresent, cefd, pefd,  \* kernel-owned
    ppc, ptail, pcache, psent, pn,            \* producers
    cpc, cr, chead, ctail, cgen, clive, cdet, cepoch, work, rv,  \* consumer
    pmb, punarmed, cmb, cunarmed,             \* the sleepers' membarrier()
    pdone, pasleep, casleep, pkills, ckills, gdel, rd_hi         \* ghosts

kvars == <<state, gen, repoch, cpresent, cefd, pefd>>
pvars == <<ppc, ptail, pcache, psent, pn>>
cvars == <<cpc, cr, chead, ctail, cgen, clive, cdet, cepoch, work, rv>>
mbvars == <<pmb, punarmed, cmb, cunarmed>>
gvars == <<pdone, pasleep, casleep, pkills, ckills, gdel, rd_hi>>
vars  == <<mem, sb, kvars, pvars, cvars, mbvars, gvars>>

-----------------------------------------------------------------------------
(* The store-buffer machine *)

Store(me, a, v) == sb' = [sb EXCEPT ![me] = Append(@, [a |-> a, v |-> v])]
StoreAll(me, es) == sb' = [sb EXCEPT ![me] = @ \o es]

Load(me, a) ==
    LET hits == SelectSeq(sb[me], LAMBDA e : e.a = a)
    IN  IF hits = << >> THEN mem[a] ELSE hits[Len(hits)].v

Fenced(me) == sb[me] = << >>          \* a full barrier has completed

Flush(me) ==
    /\ sb[me] # << >>
    /\ mem' = [mem EXCEPT ![Head(sb[me]).a] = Head(sb[me]).v]
    /\ sb' = [sb EXCEPT ![me] = Tail(@)]
    /\ UNCHANGED <<kvars, pvars, cvars, mbvars, gvars>>

\* The publisher's barrier, INV-WAKE-02: a registered process (ASYM) has a
\* compiler barrier only, the sleeper's membarrier() runs the full one on
\* its CPU; any other runs its own full barrier.
PubFenced(me) == (ASYM /\ me \in REG) \/ Fenced(me)

\* membarrier(MEMBARRIER_CMD_GLOBAL_EXPEDITED), one target q: q runs a full
\* barrier on its CPU (or ran one when switched out), so its whole store
\* buffer reaches memory, in FIFO order: every word takes the youngest
\* buffered value. INV-WAKE-02.
Drain(q) ==
    /\ mem' = [a \in Addr |-> Load(q, a)]
    /\ sb' = [sb EXCEPT ![q] = << >>]

\* The buffers a sleeper's membarrier() drains: every other registered
\* process. Its outcomes: TRUE it returned 0, FALSE it failed (MBFAIL).
MbTargets(me) == IF ASYM THEN REG \ {me} ELSE {}
MbOutcome == IF ASYM /\ MBFAIL THEN BOOLEAN ELSE {TRUE}

-----------------------------------------------------------------------------
(* The module *)

ZeroRing(m, r) == [a \in Addr |-> IF a[1] = r THEN Zero(a[2]) ELSE m[a]]
Drained(r) == mem[<<r, HEADW>>] = mem[<<r, TAILW>>]

\* DETACHED -> FREE, generation + 1, pages zeroed (INV-LIFE-01/-02). The
\* caller sets state' and repoch'.
RecycleVars(r) ==
    /\ mem' = ZeroRing(mem, r)
    /\ gen' = [gen EXCEPT ![r] = @ + 1]
    /\ gdel' = [gdel EXCEPT ![r] = 0]
    /\ rd_hi' = [rd_hi EXCEPT ![r] = 0]

-----------------------------------------------------------------------------
(* Producer p *)

Room(p) == CAP - (ptail[p] - pcache[p])
Go(p, l) == ppc' = [ppc EXCEPT ![p] = l]
PBody == {"reserve", "room", "recheck", "sleep", "clear", "write", "commit", "wake"}

\* RINGMPSC_IOC_ATTACH: a FREE ring, or a drained DETACHED one while no
\* consumer is attached, recycled here (INV-LIFE-02). The attach signals
\* the consumer, which has no flag in a ring it has not seen (INV-WAKE-05).
PAttach(p) ==
    /\ ppc[p] = "attach"
    /\ \/ state[p] = FREE
       \/ state[p] = DETACHED /\ ~cpresent /\ Drained(p)
    /\ IF state[p] = DETACHED
       THEN RecycleVars(p) /\ repoch' = repoch + 2
       ELSE UNCHANGED <<mem, gen, gdel, rd_hi>> /\ repoch' = repoch + 1
    /\ state' = [state EXCEPT ![p] = ACTIVE]
    /\ pefd' = [pefd EXCEPT ![p] = FALSE]          \* a new eventfd
    /\ cefd' = (cefd \/ cpresent)
    /\ ptail' = [ptail EXCEPT ![p] = mem'[<<p, TAILW>>]]
    /\ pcache' = [pcache EXCEPT ![p] = mem'[<<p, HEADW>>]]
    /\ Go(p, "reserve")
    /\ UNCHANGED <<sb, cpresent, psent, pn, cvars, mbvars, pdone, pasleep, casleep, pkills, ckills>>

\* reserve(n): the cached head is refreshed only when it shows too little
\* room (INV-RING-11), by a load-acquire of head that pairs with the
\* consumer's store-release (INV-RING-05).
PReserve(p) ==
    /\ ppc[p] = "reserve"
    /\ psent[p] < Budget(p)
    /\ \E n \in 1 .. Min(BATCH, Budget(p) - psent[p]) :
          /\ pn' = [pn EXCEPT ![p] = n]
          /\ pcache' = [pcache EXCEPT ![p] =
                          IF Room(p) < n THEN Load(p, <<p, HEADW>>) ELSE @]
    /\ Go(p, "room")
    /\ UNCHANGED <<mem, sb, kvars, ptail, psent, cvars, mbvars, gvars>>

PSentAll(p) ==
    /\ ppc[p] = "reserve"
    /\ psent[p] = Budget(p)
    /\ pdone' = [pdone EXCEPT ![p] = TRUE]
    /\ \E l \in {"exit", "idle"} : Go(p, l)  \* exits, or stays attached idle
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars,
                   mbvars, pasleep, casleep, pkills, ckills, gdel, rd_hi>>

PHasRoom(p) ==
    /\ ppc[p] = "room"
    /\ Room(p) > 0
    /\ Go(p, "write")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars, mbvars, gvars>>

\* ringmpsc_wait_space, the sleeping half. Without a consumer the call
\* fails (-EPIPE) and the application retries once one is attached.
\* With ASYM the outcome of membarrier() (2b) is chosen here: nothing
\* observes it before the call.
PSetFlag(p) ==
    /\ ppc[p] = "room"
    /\ Room(p) = 0
    /\ cpresent
    /\ Store(p, <<p, PFLAGW>>, 1)                              \* (1)
    /\ \E ok \in MbOutcome :
          /\ pmb' = [pmb EXCEPT ![p] = IF ok THEN MbTargets(p) ELSE {}]
          /\ punarmed' = [punarmed EXCEPT ![p] = ~ok]
    /\ Go(p, "recheck")
    /\ UNCHANGED <<mem, kvars, ptail, pcache, psent, pn, cvars, cmb, cunarmed,
                   gvars>>

\* ASYM: (2b) membarrier(), one registered target at a time, after the
\* sleeper's own barrier (2) (INV-WAKE-01: its flag is in memory before
\* any remote barrier). INV-WAKE-02.
PMembarrier(p) ==
    /\ ppc[p] = "recheck"
    /\ Fenced(p)
    /\ \E q \in pmb[p] :
          /\ Drain(q)
          /\ pmb' = [pmb EXCEPT ![p] = @ \ {q}]
    /\ UNCHANGED <<kvars, pvars, cvars, punarmed, cmb, cunarmed, gvars>>

PRecheck(p) ==
    /\ ppc[p] = "recheck"
    /\ Fenced(p)        \* (2) INV-WAKE-01: the flag is visible before the re-check
    /\ pmb[p] = {}      \* (2b) ASYM: membarrier() has returned (INV-WAKE-02)
    /\ LET h == Load(p, <<p, HEADW>>)                           \* (3)
           full == CAP - (ptail[p] - h) = 0
       IN  /\ pcache' = [pcache EXCEPT ![p] = h]
           /\ pasleep' = [pasleep EXCEPT ![p] = full]
           /\ Go(p, IF full THEN "sleep" ELSE "clear")
    /\ UNCHANGED <<mem, sb, kvars, ptail, psent, pn, cvars,
                   mbvars, pdone, casleep, pkills, ckills, gdel, rd_hi>>

PSleep(p) ==                                                   \* (4)
    /\ ppc[p] = "sleep"
    /\ pefd[p]
    /\ pefd' = [pefd EXCEPT ![p] = FALSE]
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ Go(p, "clear")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, cefd, ptail, pcache,
                   psent, pn, cvars, mbvars, pdone, casleep, pkills, ckills, gdel, rd_hi>>

\* (4b) ASYM, membarrier() failed: the sleep ends after a slice (1 ms),
\* signalled or not. INV-WAKE-06.
PSlice(p) ==
    /\ ppc[p] = "sleep"
    /\ punarmed[p]
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ Go(p, "clear")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, pn, cvars, mbvars,
                   pdone, casleep, pkills, ckills, gdel, rd_hi>>

PClear(p) ==
    /\ ppc[p] = "clear"
    /\ Store(p, <<p, PFLAGW>>, 0)                               \* (5)
    /\ pcache' = [pcache EXCEPT ![p] = Load(p, <<p, HEADW>>)]   \* retry
    /\ punarmed' = [punarmed EXCEPT ![p] = FALSE]
    /\ Go(p, "room")
    /\ UNCHANGED <<mem, kvars, ptail, psent, pn, cvars, pmb, cmb, cunarmed, gvars>>

\* Write the reservation (what fits); the stores only enter the buffer.
PWrite(p) ==
    /\ ppc[p] = "write"
    /\ LET n == Min(pn[p], Room(p))
           es == [k \in 1 .. n |->
                    [a |-> <<p, SlotW(ptail[p] + k - 1)>>,
                     v |-> Msg(gen[p], ptail[p] + k)]]
       IN  /\ StoreAll(p, es)
           /\ pn' = [pn EXCEPT ![p] = n]
           /\ ptail' = [ptail EXCEPT ![p] = @ + n]
    /\ Go(p, "commit")
    /\ UNCHANGED <<mem, kvars, pcache, psent, cvars, mbvars, gvars>>

\* commit: store-release of tail; the FIFO buffer keeps it behind the slot
\* stores. Pairs with the consumer's load-acquire. INV-RING-05, INV-RING-09.
PCommit(p) ==
    /\ ppc[p] = "commit"
    /\ Store(p, <<p, TAILW>>, ptail[p])
    /\ psent' = [psent EXCEPT ![p] = @ + pn[p]]
    /\ pn' = [pn EXCEPT ![p] = 0]
    /\ Go(p, "wake")
    /\ UNCHANGED <<mem, kvars, ptail, pcache, cvars, mbvars, gvars>>

\* Publisher half of the Dekker pair; RINGMPSC_IOC_WAKE only when the flag
\* is set (INV-WAKE-04).
PWake(p) ==
    /\ ppc[p] = "wake"
    /\ PubFenced(p)     \* INV-WAKE-02: tail visible before the flag load
    /\ cefd' = (cefd \/ (Load(p, <<p, CFLAGW>>) = 1 /\ cpresent))
    /\ Go(p, "reserve")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, pefd, ptail, pcache,
                   psent, pn, cvars, mbvars, gvars>>

\* Exit, or the kill path: the dying CPU's stores drain (the exit path
\* takes locks) before the module marks the ring DETACHED and signals the
\* consumer. INV-LIFE-04, INV-WAKE-05. A producer with messages left
\* comes back as a new process on its recycled ring.
PDetach(p) ==
    /\ ppc[p] = "exit"
    /\ Fenced(p)
    /\ state' = [state EXCEPT ![p] = DETACHED]
    /\ repoch' = repoch + 1
    /\ cefd' = (cefd \/ cpresent)
    /\ pdone' = [pdone EXCEPT ![p] = (psent[p] = Budget(p))]
    /\ Go(p, IF psent[p] < Budget(p) THEN "attach" ELSE "gone")
    /\ UNCHANGED <<mem, sb, gen, cpresent, pefd, ptail, pcache, psent, pn,
                   cvars, mbvars, pasleep, casleep, pkills, ckills, gdel, rd_hi>>

\* kill -9 at any step of the body.
PKill(p) ==
    /\ ppc[p] \in PBody
    /\ pkills < PCRASH
    /\ pkills' = pkills + 1
    /\ pasleep' = [pasleep EXCEPT ![p] = FALSE]
    /\ pn' = [pn EXCEPT ![p] = 0]
    /\ pmb' = [pmb EXCEPT ![p] = {}]
    /\ punarmed' = [punarmed EXCEPT ![p] = FALSE]
    /\ Go(p, "exit")
    /\ UNCHANGED <<mem, sb, kvars, ptail, pcache, psent, cvars, cmb, cunarmed,
                   pdone, casleep, ckills, gdel, rd_hi>>

Producer(p) ==
    \/ PAttach(p) \/ PReserve(p) \/ PSentAll(p) \/ PHasRoom(p) \/ PSetFlag(p)
    \/ PMembarrier(p) \/ PRecheck(p) \/ PSleep(p) \/ PSlice(p) \/ PClear(p)
    \/ PWrite(p) \/ PCommit(p) \/ PWake(p) \/ PDetach(p)

-----------------------------------------------------------------------------
(* The consumer *)

CGo(l) == cpc' = l
CBody == {"refresh", "ring", "drain", "deliver", "publish", "wakep", "recycle",
          "flags", "recheck", "sleep", "unflag"}
LiveRings == SelectSeq([i \in 1 .. NP |-> i - 1], LAMBDA r : clive[r])
FlagStores(v) == [i \in 1 .. Len(LiveRings) |->
                    [a |-> <<LiveRings[i], CFLAGW>>, v |-> v]]

\* RINGMPSC_IOC_ATTACH as consumer: continue from the shared head, the
\* only time head is read back. INV-LIFE-05, INV-LIFE-06.
CAttach ==
    /\ cpc = "attach"
    /\ ~cpresent
    /\ cpresent' = TRUE
    /\ cefd' = FALSE
    /\ chead' = [r \in Rings |-> mem[<<r, HEADW>>]]
    /\ ctail' = [r \in Rings |-> mem[<<r, HEADW>>]]
    /\ cgen' = gen
    /\ clive' = [r \in Rings |-> FALSE]
    /\ cdet' = [r \in Rings |-> FALSE]
    /\ cepoch' = -1                                \* force a refresh
    /\ rd_hi' = gdel      \* what an earlier consumer delivered may come again
    /\ CGo("refresh")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, pefd, pvars, cr, work, rv,
                   mbvars, pdone, pasleep, casleep, pkills, ckills, gdel>>

\* ringmpsc__refresh_if_changed: kernel-written ring states; a changed
\* generation resets the private indices (INV-LIFE-03).
CRefresh ==
    /\ cpc = "refresh"
    /\ IF cepoch # repoch
       THEN /\ cepoch' = repoch
            /\ cgen' = gen
            /\ chead' = [r \in Rings |-> IF gen[r] # cgen[r] THEN 0 ELSE chead[r]]
            /\ ctail' = [r \in Rings |-> IF gen[r] # cgen[r] THEN 0 ELSE ctail[r]]
            /\ clive' = [r \in Rings |-> state[r] \in {ACTIVE, DETACHED}]
            /\ cdet' = [r \in Rings |-> state[r] = DETACHED]
       ELSE UNCHANGED <<cepoch, cgen, chead, ctail, clive, cdet>>
    /\ work' = FALSE
    /\ cr' = 0
    /\ CGo("ring")
    /\ UNCHANGED <<mem, sb, kvars, pvars, rv, mbvars, gvars>>

CSkipRing ==
    /\ cpc = "ring"
    /\ cr < NP /\ ~clive[cr]
    /\ cr' = cr + 1
    /\ UNCHANGED <<mem, sb, kvars, pvars, cpc, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* load-acquire of tail, once per batch; pairs with the producer's
\* store-release. INV-RING-05, INV-RING-10.
CLoadTail ==
    /\ cpc = "ring"
    /\ cr < NP /\ clive[cr]
    /\ ctail' = IF ctail[cr] = chead[cr]
                THEN [ctail EXCEPT ![cr] = Load(C, <<cr, TAILW>>)]
                ELSE ctail
    /\ CGo("drain")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* One message per step, so that a death can land mid-batch.
CRead ==
    /\ cpc = "drain"
    /\ ctail[cr] # chead[cr]
    /\ rv' = mem[<<cr, SlotW(chead[cr])>>]
    /\ CGo("deliver")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, mbvars, gvars>>

\* The checks of a delivery are the invariant DeliverOK, which holds in
\* every state with cpc = "deliver".
CDeliver ==
    /\ cpc = "deliver"
    /\ chead' = [chead EXCEPT ![cr] = @ + 1]
    /\ gdel' = IF chead[cr] = gdel[cr] THEN [gdel EXCEPT ![cr] = @ + 1] ELSE gdel
    /\ CGo(IF chead[cr] + 1 = ctail[cr] THEN "publish" ELSE "drain")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, ctail, cgen, clive, cdet, cepoch,
                   work, rv, mbvars, pdone, pasleep, casleep, pkills, ckills, rd_hi>>

\* ringmpsc__publish_head: store-release of head; the slot reads above are
\* done (TSO never moves a load below a later store). Pairs with the
\* producer's load-acquire. INV-RING-05.
CPublish ==
    /\ cpc = "publish"
    /\ Store(C, <<cr, HEADW>>, chead[cr])
    /\ CGo("wakep")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

CWakeProducer ==
    /\ cpc = "wakep"
    /\ PubFenced(C)     \* INV-WAKE-02: head visible before the flag load
    /\ pefd' = IF Load(C, <<cr, PFLAGW>>) = 1
               THEN [pefd EXCEPT ![cr] = TRUE] ELSE pefd   \* INV-WAKE-04
    /\ work' = TRUE
    /\ cr' = cr + 1
    /\ CGo("ring")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, cefd, pvars, chead,
                   ctail, cgen, clive, cdet, cepoch, rv, mbvars, gvars>>

CEmpty ==
    /\ cpc = "drain"
    /\ ctail[cr] = chead[cr]
    /\ cr' = cr + 1
    /\ CGo(IF cdet[cr] THEN "recycle" ELSE "ring")
    /\ UNCHANGED <<mem, sb, kvars, pvars, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* Drained DETACHED ring (state was read before that tail, so the tail was
\* final): RINGMPSC_IOC_RECYCLE; the ioctl's lock drains our stores. The
\* module checks head == tail itself (INV-LIFE-02). cr is already the next.
CRecycle ==
    /\ cpc = "recycle"
    /\ Fenced(C)
    /\ LET r == cr - 1 IN
       IF state[r] = DETACHED /\ gen[r] = cgen[r] /\ Drained(r)
       THEN /\ RecycleVars(r)
            /\ state' = [state EXCEPT ![r] = FREE]
            /\ repoch' = repoch + 1
       ELSE UNCHANGED <<mem, gen, gdel, rd_hi, state, repoch>>
    /\ work' = TRUE
    /\ CGo("ring")
    /\ UNCHANGED <<sb, cpresent, cefd, pefd, pvars, cr, chead, ctail, cgen,
                   clive, cdet, cepoch, rv, mbvars, pdone, pasleep, casleep, pkills, ckills>>

CPassDone ==
    /\ cpc = "ring"
    /\ cr = NP
    /\ CGo(IF work THEN "refresh" ELSE "flags")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, gvars>>

\* ringmpsc_wait, the sleeping half: (1) NEED_WAKEUP in every live ring;
\* with ASYM the outcome of membarrier() (2b), which nothing observes
\* before the call.
CSetFlags ==
    /\ cpc = "flags"
    /\ StoreAll(C, FlagStores(1))
    /\ \E ok \in MbOutcome :
          /\ cmb' = IF ok THEN MbTargets(C) ELSE {}
          /\ cunarmed' = ~ok
    /\ CGo("recheck")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, pmb, punarmed, gvars>>

\* ASYM: (2b) membarrier(), one registered producer at a time, after the
\* consumer's own barrier (2), INV-WAKE-01. INV-WAKE-02.
CMembarrier ==
    /\ cpc = "recheck"
    /\ Fenced(C)
    /\ \E q \in cmb :
          /\ Drain(q)
          /\ cmb' = cmb \ {q}
    /\ UNCHANGED <<kvars, pvars, cvars, pmb, punarmed, cunarmed, gvars>>

\* (2) barrier, (3) consumer_has_work: ring_epoch, then every tail.
CRecheck ==
    /\ cpc = "recheck"
    /\ Fenced(C)        \* (2) INV-WAKE-01: the flags are visible before the re-check
    /\ cmb = {}         \* (2b) ASYM: membarrier() has returned (INV-WAKE-02)
    /\ LET busy == \/ cepoch # repoch
                   \/ \E r \in Rings : clive[r] /\ (Load(C, <<r, TAILW>>) # chead[r]
                                                    \/ cdet[r])
       IN  /\ casleep' = ~busy
           /\ CGo(IF busy THEN "unflag" ELSE "sleep")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, pdone, pasleep, pkills, ckills, gdel, rd_hi>>

CSleep ==                                                      \* (4)
    /\ cpc = "sleep"
    /\ cefd
    /\ cefd' = FALSE
    /\ casleep' = FALSE
    /\ CGo("unflag")
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cpresent, pefd, pvars, cr, chead,
                   ctail, cgen, clive, cdet, cepoch, work, rv,
                   mbvars, pdone, pasleep, pkills, ckills, gdel, rd_hi>>

\* (4b) ASYM, membarrier() failed: the sleep ends after a slice (1 ms),
\* signalled or not; then the consumer arms again. INV-WAKE-06.
CSlice ==
    /\ cpc = "sleep"
    /\ cunarmed
    /\ casleep' = FALSE
    /\ CGo("unflag")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, mbvars, pdone, pasleep, pkills, ckills,
                   gdel, rd_hi>>

CClearFlags ==                                                 \* (5)
    /\ cpc = "unflag"
    /\ StoreAll(C, FlagStores(0))
    /\ cunarmed' = FALSE
    /\ CGo("refresh")
    /\ UNCHANGED <<mem, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, pmb, punarmed, cmb, gvars>>

\* Consumer death: its stores drain on the kill path; the module marks it
\* absent and signals every producer. INV-LIFE-05, INV-WAKE-05.
CDetach ==
    /\ cpc = "dying"
    /\ Fenced(C)
    /\ cpresent' = FALSE
    /\ pefd' = [r \in Rings |-> pefd[r] \/ state[r] = ACTIVE]
    /\ CGo("attach")                               \* a new consumer
    /\ UNCHANGED <<mem, sb, state, gen, repoch, cefd, pvars, cr, chead, ctail,
                   cgen, clive, cdet, cepoch, work, rv, mbvars, gvars>>

CKill ==
    /\ cpc \in CBody
    /\ ckills < CCRASH
    /\ ckills' = ckills + 1
    /\ casleep' = FALSE
    /\ cmb' = {}
    /\ cunarmed' = FALSE
    /\ CGo("dying")
    /\ UNCHANGED <<mem, sb, kvars, pvars, cr, chead, ctail, cgen, clive, cdet,
                   cepoch, work, rv, pmb, punarmed,
                   pdone, pasleep, pkills, gdel, rd_hi>>

Consumer ==
    \/ CAttach \/ CRefresh \/ CSkipRing \/ CLoadTail \/ CRead \/ CDeliver
    \/ CPublish \/ CWakeProducer \/ CEmpty \/ CRecycle \/ CPassDone
    \/ CSetFlags \/ CMembarrier \/ CRecheck \/ CSleep \/ CSlice \/ CClearFlags
    \/ CDetach

-----------------------------------------------------------------------------
(* The system *)

Init ==
    /\ mem = [a \in Addr |-> Zero(a[2])]
    /\ sb = [me \in Procs |-> << >>]
    /\ state = [r \in Rings |-> FREE]      \* allocated up front
    /\ gen = [r \in Rings |-> 0]
    /\ repoch = 0
    /\ cpresent = FALSE
    /\ cefd = FALSE
    /\ pefd = [r \in Rings |-> FALSE]
    /\ ppc = [p \in Rings |-> "attach"]
    /\ ptail = [p \in Rings |-> 0]
    /\ pcache = [p \in Rings |-> 0]
    /\ psent = [p \in Rings |-> 0]
    /\ pn = [p \in Rings |-> 0]
    /\ cpc = "attach"
    /\ cr = 0
    /\ chead = [r \in Rings |-> 0]
    /\ ctail = [r \in Rings |-> 0]
    /\ cgen = [r \in Rings |-> 0]
    /\ clive = [r \in Rings |-> FALSE]
    /\ cdet = [r \in Rings |-> FALSE]
    /\ cepoch = -1
    /\ work = FALSE
    /\ rv = NoMsg
    /\ pmb = [p \in Rings |-> {}]
    /\ punarmed = [p \in Rings |-> FALSE]
    /\ cmb = {}
    /\ cunarmed = FALSE
    /\ pdone = [p \in Rings |-> FALSE]
    /\ pasleep = [p \in Rings |-> FALSE]
    /\ casleep = FALSE
    /\ pkills = 0
    /\ ckills = 0
    /\ gdel = [r \in Rings |-> 0]
    /\ rd_hi = [r \in Rings |-> 0]

\* Everything sent, drained and (for producers that left) recycled; the
\* consumer sleeps. The only state allowed to have no successor: TLC's
\* deadlock check then finds lost wakeups (INV-WAKE-03) as safety errors.
Quiet ==
    /\ \A r \in Rings : pdone[r] /\ state[r] # DETACHED /\ Drained(r)
    /\ casleep

Done == Quiet /\ UNCHANGED vars

Next ==
    \/ \E p \in Rings : Producer(p) \/ PKill(p)
    \/ Consumer \/ CKill
    \/ \E me \in Procs : Flush(me)
    \/ Done

\* Weak fairness for every process and every store buffer, none for the
\* kills: a behaviour without faults is fair too.
Spec ==
    /\ Init /\ [][Next]_vars
    /\ \A p \in Rings : WF_vars(Producer(p))
    /\ WF_vars(Consumer)
    /\ \A me \in Procs : WF_vars(Flush(me))

-----------------------------------------------------------------------------
(* Properties; README.md maps each to spec.md. *)

Entries(me) == {sb[me][k] : k \in 1 .. Len(sb[me])}
IsSlot(a) == a[2] >= 4

TypeOK ==
    /\ state \in [Rings -> {FREE, ACTIVE, DETACHED}]
    /\ cpresent \in BOOLEAN /\ cefd \in BOOLEAN
    /\ ppc \in [Rings -> PBody \cup {"attach", "exit", "idle", "gone"}]
    /\ cpc \in CBody \cup {"attach", "dying"}
    /\ pmb \in [Rings -> SUBSET REG] /\ cmb \subseteq REG
    /\ punarmed \in [Rings -> BOOLEAN] /\ cunarmed \in BOOLEAN
    /\ \A me \in Procs : \A e \in Entries(me) : e.a \in Addr

\* INV-RING-01: bounded count.
BoundedCount ==
    \A r \in Rings : /\ mem[<<r, HEADW>>] <= mem[<<r, TAILW>>]
                     /\ mem[<<r, TAILW>>] - mem[<<r, HEADW>>] <= CAP

\* INV-RING-03, INV-RING-09, INV-LIFE-03: every slot in [head, tail) holds,
\* whole and visible, the message committed at that index in this
\* generation (outside the window a slot may hold anything).
CommittedWindow ==
    \A r \in Rings : \A i \in mem[<<r, HEADW>>] .. mem[<<r, TAILW>>] - 1 :
        mem[<<r, SlotW(i)>>] = Msg(gen[r], i + 1)

\* INV-RING-04: each word has one writer.
Owns(me, a) == IF me = C THEN a[2] \in {HEADW, CFLAGW}
                         ELSE a[1] = me /\ a[2] \notin {HEADW, CFLAGW}
SingleWriter == \A me \in Procs : \A e \in Entries(me) : Owns(me, e.a)

\* INV-RING-06: a slot store (even buffered) never targets a slot whose
\* previous message is unreleased; INV-LIFE-03: nor a recycled ring.
ReservationExclusive ==
    \A p \in Rings : \A e \in Entries(p) :
        IsSlot(e.a) => /\ e.v[2] - 1 < mem[<<p, HEADW>>] + CAP
                       /\ e.v[1] = gen[p]

\* INV-RING-03/-07/-09, INV-LIFE-03: the consumer reads the whole message
\* committed at its index in its generation (so FIFO, never partial, never
\* stale). INV-RING-08, INV-LIFE-05: first delivery in order, or again
\* only what a dead consumer had read and not released.
DeliverOK ==
    cpc = "deliver" =>
        /\ rv = Msg(cgen[cr], chead[cr] + 1)
        /\ chead[cr] = gdel[cr] \/ chead[cr] < rd_hi[cr]

\* INV-RING-10 never has to fire for an honest producer; INV-RING-11:
\* cached copies only lag.
IndicesSane ==
    /\ \A r \in Rings : cgen[r] = gen[r] /\ cpc \in CBody =>
           /\ chead[r] <= ctail[r] /\ ctail[r] - chead[r] <= CAP
           /\ ctail[r] <= mem[<<r, TAILW>>]
    /\ \A p \in Rings : ppc[p] \in PBody => pcache[p] <= mem[<<p, HEADW>>]

\* INV-RING-02: indices never decrease within a generation.
Monotonic ==
    [][\A r \in Rings : gen'[r] = gen[r] =>
          /\ mem'[<<r, TAILW>>] >= mem[<<r, TAILW>>]
          /\ mem'[<<r, HEADW>>] >= mem[<<r, HEADW>>]]_vars

\* INV-LIFE-01: FREE -> ACTIVE -> DETACHED -> FREE (DETACHED -> ACTIVE is
\* the recycle at attach and the attach in one module call).
StateMachine ==
    [][\A r \in Rings : state'[r] # state[r] =>
          <<state[r], state'[r]>> \in {<<FREE, ACTIVE>>, <<ACTIVE, DETACHED>>,
                                       <<DETACHED, FREE>>, <<DETACHED, ACTIVE>>}]_vars

\* INV-LIFE-02: a ring is recycled only when drained, and nothing
\* committed was lost (every committed message was delivered).
RecycleDrained ==
    [][\A r \in Rings : gen'[r] # gen[r] =>
          /\ state[r] = DETACHED
          /\ Drained(r)
          /\ gdel[r] = mem[<<r, TAILW>>]]_vars

\* INV-WAKE-03: a sleeper with work is eventually woken.
CWork(r) == ~Drained(r) \/ state[r] = DETACHED
Room0(p) == mem[<<p, TAILW>>] - mem[<<p, HEADW>>] < CAP
WakeConsumer == (casleep /\ \E r \in Rings : CWork(r)) ~> ~casleep
WakeProducer == \A p \in Rings : (pasleep[p] /\ Room0(p)) ~> ~pasleep[p]

\* INV-RING-08, INV-LIFE-04/-05: every committed message is delivered (a
\* consumer is always attached again here).
Pending(r) == gdel[r] < mem[<<r, TAILW>>]
Delivered == \A r \in Rings : Pending(r) ~> ~Pending(r)

\* All ends well: sent, delivered, recycled, asleep. INV-LIFE-02.
Quiesce == <>[]Quiet
=============================================================================
