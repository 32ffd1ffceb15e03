"""Admin search boxes that find people through the search-word index, never ``LIKE '%…%'``."""

from django.db.models import Q

from accounts import search_words
from accounts.queries import users_found_by

MAX_SEARCH_WORDS = 6


class SearchPeopleByWords:
    """ModelAdmin mixin: each typed word must begin a word of the name, email or phone of one of the row's
    ``people_searched`` ("pk" for users themselves, or foreign keys to users). ``search_fields`` only shows
    the box."""

    people_searched = ("pk",)

    def get_search_results(self, request, queryset, search_term):
        for word in search_words.query_words(search_term, limit=MAX_SEARCH_WORDS):
            found = users_found_by(word, kinds=(search_words.NAME, search_words.PHONE))
            if len(self.people_searched) > 1:
                # Ids first: "patient IN (…) OR doctor IN (…)" is then a union of two index ranges, where
                # two subqueries would be run again for every row.
                found = list(found.values_list("user_id", flat=True))
            match = Q()
            for field in self.people_searched:
                match |= Q(**{f"{field}__in": found})
            queryset = queryset.filter(match)
        return queryset, False
