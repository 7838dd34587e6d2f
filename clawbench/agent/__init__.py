"""The agent loop and model clients (OpenAI-compatible and scripted).

``run_episode(instance, pack, model, sandbox)`` runs one episode and returns its
``Trajectory``. Models implement ``ModelClient``: ``OpenAIModel`` (any OpenAI-compatible
endpoint through the official client), ``ScriptedModel`` (replays a ``Script`` in process) and
``ScriptedModelServer`` (the same scripts behind a loopback chat-completions endpoint).
"""

from clawbench.agent._loop import EffectiveLimits, effective_limits, offered_tools, run_episode
from clawbench.agent._openai import OpenAIModel, retry_after_s
from clawbench.agent._prompt import build_system_prompt
from clawbench.agent._redact import public_endpoint, redact
from clawbench.agent._script import (
    Script,
    ScriptExpectation,
    ScriptToolCall,
    ScriptTurn,
    load_script,
)
from clawbench.agent._scripted import ScriptedModel, render_script, render_text
from clawbench.agent._server import ScriptedModelServer
from clawbench.agent._textcalls import parse_text_tool_calls
from clawbench.agent._tokens import count_tokens, tokenizer_name
from clawbench.agent._types import CallBudget, ModelClient, ModelTurn

__all__ = [
    "CallBudget",
    "EffectiveLimits",
    "ModelClient",
    "ModelTurn",
    "OpenAIModel",
    "Script",
    "ScriptExpectation",
    "ScriptToolCall",
    "ScriptTurn",
    "ScriptedModel",
    "ScriptedModelServer",
    "build_system_prompt",
    "count_tokens",
    "effective_limits",
    "load_script",
    "offered_tools",
    "parse_text_tool_calls",
    "public_endpoint",
    "redact",
    "render_script",
    "render_text",
    "retry_after_s",
    "run_episode",
    "tokenizer_name",
]
