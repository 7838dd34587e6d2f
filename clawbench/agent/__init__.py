"""The agent loop and model clients (OpenAI-compatible and scripted)."""

from clawbench.agent._script import Script, ScriptExpectation, ScriptToolCall, ScriptTurn, load_script

__all__ = ["Script", "ScriptExpectation", "ScriptToolCall", "ScriptTurn", "load_script"]
