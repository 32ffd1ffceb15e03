import unicodedata


def fold_for_search(text):
    """Lower-case and strip accents, so "jose" finds "José" on any database."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    without_marks = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(without_marks.casefold().split())
