"""The agent loop and model clients (OpenAI-compatible and scripted).

``run_episode(instance, pack, model, sandbox)`` runs one episode and returns its
``Trajectory``. Models implement ``ModelClient``: ``OpenAIModel`` (any OpenAI-compatible
endpoint through the official client), ``ScriptedModel`` (replays a ``Script`` in process) and
``ScriptedModelServer`` (the same scripts behind a loopback chat-completions endpoint).
"""

from clawbench.agent._loop import EffectiveLimits, effective_limits, offered_tools, run_episode
from clawbench.agent._openai import OpenAIModel
from clawbench.agent._prompt import build_system_prompt
from clawbench.agent._script import (
    Script,
    ScriptExpectation,
    ScriptToolCall,
    ScriptTurn,
    load_script,
)
from clawbench.agent._scripted import ScriptedModel, render_script, render_text
from clawbench.agent._server import ScriptedModelServer
from clawbench.agent._types import ModelClient, ModelTurn

__all__ = [
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
    "effective_limits",
    "load_script",
    "offered_tools",
    "render_script",
    "render_text",
    "run_episode",
]
