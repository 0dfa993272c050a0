from tests.factories import make_ticket


def test_user_sees_own_ticket_and_not_others(client, login_as, user, other_user):
    mine = make_ticket(user, title="My printer is on fire")
    theirs = make_ticket(other_user, title="Secret other ticket")
    login_as(user)
    page = client.get("/tickets/")
    assert b"My printer is on fire" in page.data
    assert b"Secret other ticket" not in page.data
    assert client.get(f"/tickets/{mine.id}/").status_code == 200
    assert client.get(f"/tickets/{theirs.id}/").status_code == 404
