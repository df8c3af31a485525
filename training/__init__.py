"""Training: corpus, tokenizer, training loop and export (needs the train extra)."""
