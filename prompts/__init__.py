"""The LLM instructions as text files; a package only so that installed copies ship them."""
