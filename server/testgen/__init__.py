"""Test generation: analyse a function, propose inputs, run them sandboxed, emit pytest tests."""
