"""PyGithub (Debian's python3-github), unmodified, against the example
server: the authenticated user and another user as its typed classes, and
a PaginatedList walk of /posts following Link. Prints one JSON object
that the Go test checks. Arguments: base URL, token, other login."""

import json
import sys

import github
from github.GithubObject import NonCompletableGithubObject, NotSet
from github.PaginatedList import PaginatedList


class Post(NonCompletableGithubObject):
    """A post as PyGithub's classes are written: attributes read lazily."""

    def _initAttributes(self):
        self._id = NotSet
        self._node_id = NotSet
        self._title = NotSet

    def _useAttributes(self, attributes):
        if "id" in attributes:
            self._id = self._makeIntAttribute(attributes["id"])
        if "node_id" in attributes:
            self._node_id = self._makeStringAttribute(attributes["node_id"])
        if "title" in attributes:
            self._title = self._makeStringAttribute(attributes["title"])

    @property
    def id(self):
        return self._id.value

    @property
    def node_id(self):
        return self._node_id.value

    @property
    def title(self):
        return self._title.value


base, token, other = sys.argv[1], sys.argv[2], sys.argv[3]
g = github.Github(login_or_token=token, base_url=base, per_page=2)
me = g.get_user()
named = g.get_user(other)
posts = PaginatedList(Post, g._Github__requester, base + "/posts", {"per_page": 2})
walked = [{"id": p.id, "node_id": p.node_id, "title": p.title} for p in posts]
limit = g.get_rate_limit()
print(json.dumps({
    "me": {"id": me.id, "login": me.login, "node_id": me.node_id, "email": me.email,
           "created_at": me.created_at.isoformat(), "url": me.url, "html_url": me.html_url},
    "other": {"id": named.id, "login": named.login, "node_id": named.node_id},
    "posts": walked,
    "rate": {"core_limit": limit.core.limit, "core_remaining": limit.core.remaining,
             "search_limit": limit.search.limit},
}))
