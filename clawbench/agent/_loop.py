"""run_episode: one agent episode from the first prompt to a final answer or a limit.

The loop is deterministic given the model's answers and the world: no wall clock enters the
record (only ``Usage.latency_ms``, which ``deterministic_json`` zeroes); the clock is read
only to enforce the wall-time limit, before each model call and each tool call. Each model
call gets a ``CallBudget``: the episode's remaining tokens as its ``max_tokens`` and the
remaining wall time as its deadline; a call still in flight at the deadline is cancelled and
the episode ends ``wall_time``.

Why the model stopped (``finish_reason``, recorded on each call's ``Usage``) decides what
follows: ``length`` (the answer was cut at its token cap) without tool calls ends the episode
``max_tokens`` with the cut text as the final response, and with tool calls the calls are
handled as usual (cut arguments are refused ``bad_arguments``); ``content_filter`` ends the
episode ``content_filter`` (the pack's outcome: its text steered the model there) and any
calls of that answer are refused ``limit``. Any other reason is a normal answer.

Each requested tool call is either run or refused, and either way recorded (a
``ToolCallRecord`` plus a tool message back to the model, so the conversation stays valid).
Refusals, checked in this order: ``limit`` (tool-call limit exceeded, wall time spent, or an
earlier call of the turn ended the episode), ``denied_by_policy`` / ``unknown_tool`` (not
offered), ``bad_arguments`` (not a JSON object), ``limit`` again for the pack's
``stop_on_repeated_call`` (the N-th identical call is refused and ends the episode), then
``approval_required`` (see ``_Episode._gated``).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from clawbench import HARNESS_VERSION
from clawbench.agent._prompt import build_system_prompt
from clawbench.agent._tokens import message_tokens
from clawbench.agent._types import CallBudget, ModelClient
from clawbench.errors import (
    ModelContextLengthError,
    ModelConversationRejectedError,
    ModelDeadlineError,
    ModelError,
    SandboxError,
    ScenarioError,
)
from clawbench.pack import PolicyBundle
from clawbench.pack import pack_hash as compute_pack_hash
from clawbench.sandbox._base import HiddenRequest, Sandbox, SandboxSession, SandboxTerminated
from clawbench.scenario import HIDDEN_TYPES, Limits, ScenarioInstance, hidden_request
from clawbench.scoring import call_key
from clawbench.trajectory import (
    ChatMessage,
    EpisodeSpec,
    HiddenCheckRun,
    TerminationReason,
    ToolCallRecord,
    ToolCallRequest,
    Trajectory,
    Usage,
)
from clawbench.world import KNOWN_TOOLS, tool_schemas

R = TerminationReason

# One tool answer may add at most this many characters to the conversation; the rest is cut
# with a visible marker. A pack whose agent asks for megabytes (3000 message ids in one read)
# fills its own context, never the validator's budget or the endpoint's limit.
MAX_TOOL_OUTPUT_CHARS = 32_000


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _clean(text: str) -> str:
    """Text that can be written as UTF-8: lone surrogates (which JSON escapes can carry)
    become U+FFFD, so no record, request or sandbox message fails to encode."""
    if _encodable(text):
        return text
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _unencodable_call(call: ToolCallRequest) -> ToolCallRequest | None:
    """The call, made safe, when its name or arguments cannot be encoded (a lone surrogate):
    the arguments are kept as ASCII-escaped JSON in ``raw_arguments`` and refused as
    ``bad_arguments`` like any arguments a command cannot take. None when the call is fine."""
    args_text = json.dumps(call.arguments, ensure_ascii=False)
    if _encodable(call.name + call.id + call.raw_arguments):
        if _encodable(args_text):
            return None
    elif _encodable(args_text):  # only the id or name: keep the usable arguments
        return call.model_copy(
            update={
                "id": _clean(call.id),
                "name": _clean(call.name),
                "raw_arguments": _clean(call.raw_arguments),
            }
        )
    raw = call.raw_arguments or json.dumps(call.arguments, ensure_ascii=True)
    return ToolCallRequest(
        id=_clean(call.id), name=_clean(call.name), arguments={}, raw_arguments=_clean(raw)
    )


_NOT_UNICODE = "text that is not valid Unicode (a lone surrogate)"


def _why_unusable(raw: str) -> str:
    try:
        value = json.loads(raw)
    except ValueError:
        return "invalid JSON"
    return _NOT_UNICODE if isinstance(value, dict) else "invalid JSON"


def cap_output(text: str, limit: int = MAX_TOOL_OUTPUT_CHARS) -> str:
    """A tool answer as the model sees it: at most ``limit`` characters plus a marker."""
    text = _clean(text)
    if len(text) <= limit:
        return text
    return text[:limit] + (
        f"\n[output truncated by the harness: {limit} of {len(text)} characters shown]"
    )


@dataclass(frozen=True)
class EffectiveLimits:
    max_turns: int
    max_tool_calls: int
    max_tokens: int
    wall_time_s: float
    repeated_call: int | None


def effective_limits(
    instance: ScenarioInstance, pack: PolicyBundle, limits: Limits | None = None
) -> EffectiveLimits:
    """The tightest of the scenario's limits, the pack's stop rules and the evaluator's
    explicit ``limits`` (only the fields set explicitly on it count). Stop rules can only
    tighten: a pack asking for more than the scenario allows gets the scenario's limit."""
    sc = instance.spec.limits
    rules = pack.stop_rules
    turns, calls, tokens, wall = sc.max_turns, sc.max_tool_calls, sc.max_tokens, sc.wall_time_s
    if rules.max_turns is not None:
        turns = min(turns, rules.max_turns)
    if rules.max_tool_calls is not None:
        calls = min(calls, rules.max_tool_calls)
    if limits is not None:
        given = limits.model_fields_set
        if "max_turns" in given:
            turns = min(turns, limits.max_turns)
        if "max_tool_calls" in given:
            calls = min(calls, limits.max_tool_calls)
        if "max_tokens" in given:
            tokens = min(tokens, limits.max_tokens)
        if "wall_time_s" in given:
            wall = min(wall, limits.wall_time_s)
    return EffectiveLimits(turns, calls, tokens, wall, rules.stop_on_repeated_call)


def offered_tools(instance: ScenarioInstance, pack: PolicyBundle) -> list[str]:
    """The scenario's tools the pack's policy permits, in the scenario's order."""
    unknown = [t for t in instance.spec.tools if t not in KNOWN_TOOLS]
    if unknown:
        raise ScenarioError(
            f"scenario {instance.name!r} declares tools the world does not have: {unknown}",
            code="unknown_tool",
        )
    return [t for t in instance.spec.tools if pack.tool_policy.permits(t)]


def _gate_message(reason: str, tool: str, detail: str) -> str:
    if reason == "approval_required":
        return (
            f"NOT EXECUTED: this {tool} call needs the user's approval ({detail}). "
            "Ask the user to confirm before doing it."
        )
    if reason == "limit":
        return f"NOT EXECUTED: {detail}."
    if reason == "bad_arguments":
        if detail == _NOT_UNICODE:
            return f"NOT EXECUTED: the arguments of this {tool} call contain {detail}."
        return f"NOT EXECUTED: the arguments of this {tool} call are not a JSON object ({detail})."
    return f"NOT EXECUTED: tool {tool!r} is not available ({detail})."


class _Episode:
    def __init__(
        self,
        instance: ScenarioInstance,
        pack: PolicyBundle,
        model: ModelClient,
        lim: EffectiveLimits,
        tools: list[str],
        clock: Callable[[], float],
        context_tokens: int | None = None,
    ) -> None:
        self.instance = instance
        self.pack = pack
        self.model = model
        self.lim = lim
        self.offered = set(tools)
        self.schemas = tool_schemas(tools)
        self.clock = clock
        self.start = clock()
        self.messages: list[ChatMessage] = [
            ChatMessage(role="system", content=build_system_prompt(pack, instance)),
            ChatMessage(role="user", content=instance.spec.prompt),
        ]
        self.records: list[ToolCallRecord] = []
        self.usage: list[Usage] = []
        self.final = ""
        self.errors: list[str] = []
        self.repeats: dict[str, int] = {}
        self._msg_tokens: list[int] = []  # estimated tokens of each message, in order
        self.context_tokens = context_tokens
        safety = instance.spec.safety
        gates = [(g.tool, g.effect) for g in safety.approval_gates]
        gates += [(g.tool, g.effect) for g in pack.approval_gates]
        self.tool_gates = {t for t, _ in gates if t is not None}
        self.effect_gates = [e for _, e in gates if e is not None]
        self.pre_approved = list(safety.pre_approved)

    def _elapsed_out(self) -> bool:
        return self.clock() - self.start >= self.lim.wall_time_s

    def _tokens(self) -> int:
        return sum(u.total_tokens for u in self.usage)

    def _prompt_overflow(self) -> str:
        """Why the next request cannot be sent ("" when it can): its prompt alone would pass
        the episode's token budget or the model's context window. Checked before each call,
        so the pack's context growth ends its episode as a limit hit instead of an endpoint
        error on every episode."""
        while len(self._msg_tokens) < len(self.messages):
            self._msg_tokens.append(message_tokens(self.messages[len(self._msg_tokens)]))
        prompt = sum(self._msg_tokens)
        if self._tokens() + prompt > self.lim.max_tokens:
            return (
                f"token_limit: the next prompt (~{prompt} tokens) would pass the "
                f"episode's token limit ({self._tokens()} of {self.lim.max_tokens} used)"
            )
        if self.context_tokens is not None and prompt > self.context_tokens:
            return (
                f"context_overflow: the next prompt (~{prompt} tokens) exceeds the model's "
                f"context window of {self.context_tokens} tokens"
            )
        return ""

    async def run(self, session: SandboxSession) -> TerminationReason:
        turn = 0
        while True:
            if turn >= self.lim.max_turns:
                return R.MAX_TURNS
            if self._tokens() >= self.lim.max_tokens:
                return R.MAX_TOKENS
            left = self.lim.wall_time_s - (self.clock() - self.start)
            if left <= 0:
                return R.WALL_TIME
            overflow = self._prompt_overflow()
            if overflow:
                self.errors.append(overflow)
                return R.MAX_TOKENS
            budget = CallBudget(max_tokens=self.lim.max_tokens - self._tokens(), timeout_s=left)
            try:
                reply = await asyncio.wait_for(
                    self.model.complete(
                        list(self.messages), self.schemas, seed=self.instance.seed, budget=budget
                    ),
                    left,
                )
            except (TimeoutError, ModelDeadlineError):
                return R.WALL_TIME
            except ModelConversationRejectedError as err:
                # The endpoint takes a neutral conversation but not this one: the pack's.
                self.errors.append(f"conversation_rejected: {err}")
                return R.CONVERSATION_REJECTED
            except ModelContextLengthError as err:
                # The conversation outgrew the model's window: it is the pack's context (its
                # prompt and the output its agent asked for), so a limit hit, not our failure.
                self.errors.append(f"context_overflow: {err}")
                return R.MAX_TOKENS
            msg = reply.message
            calls = [_unencodable_call(c) or c for c in msg.tool_calls]
            content = _clean(msg.content) if msg.content is not None else None
            if (
                msg.role != "assistant"
                or msg.tool_call_id is not None
                or content != msg.content
                or any(a is not b for a, b in zip(calls, msg.tool_calls, strict=True))
            ):
                msg = ChatMessage(role="assistant", content=content, tool_calls=calls)
            self.messages.append(msg)
            usage = reply.usage
            if usage.finish_reason != reply.finish_reason:
                usage = usage.model_copy(update={"finish_reason": reply.finish_reason})
            self.usage.append(usage)
            stop: TerminationReason | None = None
            if reply.finish_reason == "content_filter":
                self.final = msg.content or ""
                stop = R.CONTENT_FILTER
                if not msg.tool_calls:
                    return stop
            elif not msg.tool_calls:
                self.final = msg.content or ""
                return R.MAX_TOKENS if reply.finish_reason == "length" else R.FINAL_ANSWER
            for call in msg.tool_calls:
                stop = await self._tool_call(session, turn, call, stop)
            if stop is not None:
                return stop
            turn += 1

    async def _tool_call(
        self,
        session: SandboxSession,
        turn: int,
        call: ToolCallRequest,
        stop: TerminationReason | None,
    ) -> TerminationReason | None:
        """Run or refuse one call; returns the termination reason once one applies (every
        later call of the turn is then refused as ``limit``, keeping the conversation whole)."""
        index = len(self.records)
        args = call.arguments

        def refuse(reason: str, detail: str) -> None:
            self._record(
                turn, call, args, reason=reason, content=_gate_message(reason, call.name, detail)
            )

        if stop is not None:
            refuse("limit", f"the episode is ending ({stop.value})")
            return stop
        if index >= self.lim.max_tool_calls:
            refuse("limit", f"tool call limit of {self.lim.max_tool_calls} reached")
            return R.MAX_TOOL_CALLS
        if self._elapsed_out():
            refuse("limit", "wall-time limit reached")
            return R.WALL_TIME
        if call.name not in self.offered:
            why = "denied_by_policy" if call.name in self.instance.spec.tools else "unknown_tool"
            refuse(why, "denied by the policy" if why == "denied_by_policy" else "no such tool")
            return None
        if call.raw_arguments:
            refuse("bad_arguments", _why_unusable(call.raw_arguments))
            return None
        if self.lim.repeated_call is not None:
            key = call_key(call.name, args)  # parsed: spacing and flag order make no new call
            self.repeats[key] = self.repeats.get(key, 0) + 1
            if self.repeats[key] >= self.lim.repeated_call:
                refuse("limit", f"the same call was made {self.repeats[key]} times")
                return R.REPEATED_CALL
        gated = await self._gated(session, call.name, args)
        if gated is not None:
            refuse("approval_required", gated)
            return None
        result = await session.call(call.name, args)
        self._record(
            turn,
            call,
            args,
            content=cap_output(result.content),
            is_error=result.is_error,
            exit_code=result.exit_code,
            side_effects=list(result.side_effects),
        )
        return None

    async def _gated(self, session: SandboxSession, tool: str, args: dict[str, Any]) -> str | None:
        """Why the call needs approval, or None. A tool gate holds every call of the tool
        unless the tool's name is pre-approved; an effect gate (a glob) holds a call whose
        planned effects match it, unless each matching effect is pre-approved."""
        if tool in self.tool_gates and not any(fnmatchcase(tool, p) for p in self.pre_approved):
            return f"tool {tool} is approval-gated"
        if not self.effect_gates:
            return None
        plan = await session.plan(tool, args)
        held = [
            e
            for e in plan.effects
            if any(fnmatchcase(e, g) for g in self.effect_gates)
            and not any(fnmatchcase(e, p) for p in self.pre_approved)
        ]
        if held:
            return "effect " + ", ".join(dict.fromkeys(held)) + " is approval-gated"
        return None

    def _record(
        self,
        turn: int,
        call: ToolCallRequest,
        args: dict[str, Any],
        *,
        content: str,
        reason: str | None = None,
        is_error: bool = False,
        exit_code: int | None = None,
        side_effects: list[Any] | None = None,
    ) -> None:
        self.records.append(
            ToolCallRecord(
                index=len(self.records),
                turn=turn,
                call_id=call.id,
                tool=call.name,
                args=dict(args),
                result=content,
                is_error=is_error or reason is not None,
                exit_code=exit_code,
                refused=reason,
                side_effects=side_effects or [],
            )
        )
        self.messages.append(
            ChatMessage(role="tool", content=content, tool_call_id=call.id, name=call.name)
        )


async def run_episode(
    instance: ScenarioInstance,
    pack: PolicyBundle,
    model: ModelClient,
    sandbox: Sandbox,
    *,
    limits: Limits | None = None,
    pack_hash: str | None = None,
    context_tokens: int | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> Trajectory:
    """Run one episode and return its record (never raises for model or sandbox failures:
    they become ``model_error`` / ``sandbox_error`` / a containment reason, with the message
    in ``errors``). Raises ``ScenarioError`` when the scenario itself is unusable (a tool the
    world does not have, malformed fixtures).

    ``limits``: evaluator limits; only its explicitly set fields apply, each tightening the
    scenario's. ``context_tokens``: the model's context window; a prompt estimated past it
    ends the episode ``max_tokens`` before the call (as does the endpoint refusing it for its
    length): the conversation is the pack's. ``clock``: monotonic seconds, read only to
    enforce the wall-time limit.
    """
    tools = offered_tools(instance, pack)
    info = model.info
    if info.seed is None:
        info = info.model_copy(update={"seed": instance.seed})
    spec = EpisodeSpec(
        scenario=instance.name,
        scenario_version=instance.version,
        scenario_hash=instance.content_hash,
        pack_hash=pack_hash if pack_hash is not None else compute_pack_hash(pack),
        seed=instance.seed,
        model=info,
        harness_version=HARNESS_VERSION,
        sandbox=sandbox.name,
    )
    ep = _Episode(
        instance,
        pack,
        model,
        effective_limits(instance, pack, limits),
        tools,
        clock,
        context_tokens=context_tokens,
    )
    verifications: dict[str, int] = {}
    hidden: dict[str, HiddenCheckRun] = {}
    try:
        async with sandbox.session(instance) as session:
            try:
                termination = await ep.run(session)
            except ModelError as err:
                termination = R.MODEL_ERROR
                ep.errors.append(f"{err.code}: {err}")
            if not termination.evaluator_failed:
                # Hidden checks first: the first one snapshots the final workspace before
                # any agent code runs again (verify commands run the agent's code).
                for check in instance.spec.scoring.checks:
                    if check.type in HIDDEN_TYPES:
                        request = HiddenRequest(**hidden_request(instance, check))
                        raw = await session.check(request)
                        try:
                            hidden[check.id] = HiddenCheckRun(kind=request.kind, **raw)
                        except (TypeError, ValueError) as exc:  # pydantic's included
                            raise SandboxError(
                                f"malformed hidden-check answer: {exc}", code="sandbox_protocol"
                            ) from None
                for check in instance.spec.scoring.checks:
                    if check.type == "verify_command":
                        data = check.model_dump()
                        verifications[check.id] = await session.verify(
                            str(data["command"]), float(data["timeout_s"])
                        )
    except SandboxTerminated as err:
        termination = err.reason
        ep.errors.append(f"{err.code}: {err}")
    except SandboxError as err:
        termination = R.SANDBOX_ERROR
        ep.errors.append(f"{err.code}: {err}")
    return Trajectory(
        spec=spec,
        variables=dict(instance.variables),
        messages=ep.messages,
        tool_calls=ep.records,
        usage=ep.usage,
        final_response=ep.final,
        termination=termination,
        errors=ep.errors,
        verifications=verifications,
        hidden_checks=hidden,
    )
