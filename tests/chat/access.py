"""Access expectations for the AI chat and "talk to a person", merged into
tests/test_access_matrix.py.

Conversations belong to one user; the matrix has no conversation placeholder, so it checks
the guards with an id nobody owns (404 for everyone signed in). tests/chat/test_chat.py
checks the owner and another user on a real conversation."""

from tests.test_access_matrix import LOGIN, Access, Redirect

_NONE = "/tickets/ai/conversations/nobody-owns-this/"
_SIGNED_IN_404 = (LOGIN, 404, 404, 404, 404)
_SIGNED_IN_200 = (LOGIN, 200, 200, 200, 200)

ACCESS = {
    ("chat.conversation_list", "GET"): Access("/tickets/ai/conversations/", _SIGNED_IN_200),
    ("chat.conversation_create", "POST"): Access(
        "/tickets/ai/conversations/", (LOGIN,) + (Redirect("/tickets/ai/conversations/"),) * 4
    ),
    ("chat.conversation_detail", "GET"): Access(_NONE, _SIGNED_IN_404),
    ("chat.message_create", "POST"): Access(
        "/tickets/ai/chat/",
        _SIGNED_IN_404,
        {"conversation_id": "nobody-owns-this", "message": "Hi"},
    ),
    ("chat.conversation_end", "POST"): Access(_NONE + "end", _SIGNED_IN_404),
    ("chat.answer_reject", "POST"): Access(_NONE + "answers/1/reject", _SIGNED_IN_404),
    ("chat.feedback_create", "POST"): Access(_NONE + "feedback", _SIGNED_IN_404, {"rating": "5"}),
    ("chat.ticket_create", "POST"): Access(_NONE + "ticket", _SIGNED_IN_404, {"title": "Help"}),
    ("chat.handover", "POST"): Access(_NONE + "handover", _SIGNED_IN_404),
    # "Talk to a person" on the owner's ticket ({ticket} is owned by the "user" role).
    ("chat.ticket_human", "POST"): Access(
        "/tickets/ai/tickets/{ticket}/human",
        (LOGIN, Redirect("/tickets/{ticket}/"), 404, 403, 403),
    ),
}
