"""The genre eval documents, built from data: evals/genres/spec/*.yaml in, files of every format the
service reads (docx, md, txt, pdf, png, xlsx, html) and their source records out."""
