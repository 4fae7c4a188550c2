"""Pure renderers of a verified Analysis: ``markdown.to_markdown`` -> str, ``docx.to_docx`` -> bytes.

Import the submodule you need; the Word renderer pulls in python-docx, the Markdown one does not.
"""
