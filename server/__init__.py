"""The language server: documents, settings, diagnostics and the features built on the model."""
