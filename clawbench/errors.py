"""Errors with stable reason codes, so callers (CLI exit codes, the validator's store) can act
on *why* something failed without parsing messages."""

from __future__ import annotations


class ClawBenchError(Exception):
    """Base error: ``code`` is a stable machine-readable reason, ``str(err)`` is for humans."""

    code = "clawbench_error"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code


class ScenarioError(ClawBenchError):
    code = "scenario_invalid"


class PackError(ClawBenchError):
    code = "pack_invalid"


class TrajectoryError(ClawBenchError):
    code = "trajectory_invalid"


class ModelError(ClawBenchError):
    """The model endpoint failed (after retries): never the pack's fault."""

    code = "model_error"


class SandboxError(ClawBenchError):
    """The sandbox failed for reasons outside the agent's control: never the pack's fault."""

    code = "sandbox_error"


class ModelResponseError(ModelError):
    """The endpoint answered with something that is not a chat completion we can read (no
    choices, ``message: null``, a tool call without a function...). Ends the episode only."""

    code = "model_bad_response"


class ModelContextLengthError(ModelError):
    """The endpoint refused the request because the conversation exceeds the model's context
    window. Distinct so the loop can tell whose limit it was (the pack's context grew it)."""

    code = "model_context_length"


class ModelConversationRejectedError(ModelError):
    """The endpoint refused this conversation (a 400/413/422 that is not about its length)
    while it accepts a neutral request with the same model, settings and tools: what the pack
    and its agent put in the conversation caused it, so it is the pack's outcome. Without this
    a pack could make its bad episodes vanish as our failure (an incumbent keeping its score)."""

    code = "model_conversation_rejected"


class ModelDeadlineError(ModelError):
    """The call was cut short because the episode's wall time ran out while it was in flight
    (the per-call deadline never outlives the episode)."""

    code = "model_deadline"


def yaml_problem(err: Exception) -> str:
    """A YAML parser error as one line, ``line L, column C: problem``, for messages that
    start with the file name (PyYAML's own text spans several lines and quotes the input)."""
    mark = getattr(err, "problem_mark", None) or getattr(err, "context_mark", None)
    problem = getattr(err, "problem", None) or getattr(err, "context", None) or str(err)
    text = " ".join(str(problem).split())
    if mark is not None:
        return f"line {mark.line + 1}, column {mark.column + 1}: {text}"
    return text
