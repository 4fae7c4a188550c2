"""Pure renderers of a verified Analysis, and the reader that turns an edited draft back into one.

- ``markdown.to_markdown`` -> str; ``docx.to_docx`` -> bytes (python-docx); ``email.to_email_html``
  -> str; ``card.summary_card`` -> the Adaptive Card dict the bot posts and the CLI writes
- ``docx_reader.analysis_from_docx``: a draft as people edited it in Word -> Analysis
- ``common``: the wording and formatting every renderer shares

Import the submodule you need; the Word renderer pulls in python-docx, the Markdown one does not.
"""
