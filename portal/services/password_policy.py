"""Which passwords are refused: too short, too long, or among the most common ones.

`password_problem(password, email=..., name=...)` is the one check, for registration, password
reset and change, and admin-set passwords alike: it answers the message to show beside the
field, or None when the password is acceptable. Comparison ignores case, spaces and a trailing
run of digits or punctuation ("Password2024!" is "password").

The list holds the passwords of eight characters or more that top the public breach-frequency
lists (shorter ones are refused by length already), written out here so no file or network is
needed.
"""

from __future__ import annotations

import re
import unicodedata

MIN_LENGTH = 8
MAX_LENGTH = 200

TOO_SHORT = f"Use at least {MIN_LENGTH} characters."
TOO_LONG = f"Use at most {MAX_LENGTH} characters."
TOO_COMMON = "This password is one of the most common ones. Choose one that is harder to guess."
LOOKS_LIKE_YOU = "Do not use your name or e-mail address as the password."
TOO_SIMPLE = "This password is a simple pattern. Choose one that is harder to guess."

_COMMON = """
password password1 password12 password123 password1234 passw0rd p@ssword p@ssw0rd pa55word
pa55w0rd passwort motdepasse contrasena contraseña wachtwoord salasana hasło haslo senha123
12345678 123456789 1234567890 0123456789 12345678910 123123123 123456123 1234512345 1231234
11111111 111111111 1111111111 00000000 000000000 0000000000 22222222 55555555 66666666
77777777 88888888 99999999 12121212 13131313 69696969 11223344 12344321 123454321 98765432
987654321 9876543210 87654321 147258369 147852369 159753456 123qweasd 123qweasdzxc 1qaz2wsx
1qaz2wsx3edc 1q2w3e4r 1q2w3e4r5t 1q2w3e4r5t6y zaq12wsx zaq1zaq1 qwertyui qwertyuiop
qwerty123 qwerty1234 qwerty12345 qwertyuiop123 qwer1234 asdfghjk asdfghjkl asdf1234
asdfasdf zxcvbnm1 zxcvbnm123 zxcvbnma azertyuiop azerty123 qazwsxedc qazwsx123 1qazxsw2
abcd1234 abc12345 abcdefgh abcdefg1 abcdefghi abcdefghij abc123456 a1b2c3d4 a1234567
aa123456 aa12345678 iloveyou iloveyou1 iloveyou2 iloveyou! ilovegod ilovemom iloveme1
princess princess1 sunshine sunshine1 football football1 baseball baseball1 basketball
superman superman1 batman123 spiderman starwars starwars1 pokemon1 pokemon123 charlie1
michael1 jennifer jordan23 jessica1 welcome1 welcome123 welcome! letmein1 letmein123
trustno1 whatever whatever1 computer computer1 internet corvette mercedes ferrari1
chocolate cheese123 butterfly bluebird blink182 liverpool arsenal1 chelsea1 manchester
barcelona realmadrid juventus mustang1 harley123 yankees1 cowboys1 steelers dolphins
midnight midnight1 michelle danielle samantha victoria caroline jonathan christian
alexander benjamin nicholas patricia elizabeth stephanie veronica cristina gabriela
anthony1 william1 robert12 thomas12 matthew1 andrew12 joshua12 daniel12 hannah12 sophie12
monkey123 monkey12 dragon12 dragon123 master12 master123 shadow12 shadow123 killer12
hunter12 hunter123 freedom1 freedom123 forever1 friends1 loveyou1 lovely12 lovelove
babygirl babygirl1 sweetheart sweetie1 angel123 blessed1 jesus123 jesuschrist godisgood
qwerty12 zxcvbnm12 asdfgh12 1a2b3c4d 12qwaszx q1w2e3r4 q1w2e3r4t5 1234qwer 12345qwert
123abc123 abc123abc passpass testtest test1234 test12345 testing1 testing123 changeme
changeme1 changeme123 default1 secret123 secret12 letmein! administrator admin123
admin1234 admin12345 administrator1 root1234 toor1234 guest123 user1234 demo1234 login123
summer2020 summer2021 summer2022 summer2023 summer2024 summer2025 summer2026 winter2024
winter2025 winter2026 spring2025 spring2026 autumn2025 autumn2026 january1 september
december november 01012000 01011990 01011980 12345678a 123456789a 1234567a 12345678q
123456789q 1234567q qwerty1! password! password1! pass1234 pass12345 mypassword
mypassword1 newpassword yourpassword nopassword thisismypassword letmeinnow openopen
opensesame goodluck1 happy123 happiness happyday flower123 flowers1 rainbow1 purple12
orange12 yellow12 silver12 golden12 diamond1 crystal1 phoenix1 dragonfly fireball
snowball snowflake starlight moonlight sunflower strawberry blueberry pineapple
watermelon chicken1 cookie12 pepper12 ginger12 buster12 maggie12 bailey12 charlie12
tigger12 snoopy12 garfield scooby12 mickey12 minnie12 pikachu1 naruto12 metallica
nirvana1 slipknot eminem12 beatles1 rockstar rockyou1 playboy1 hello123 hello1234
helloworld welcome2 asdasdasd qweqweqwe zxczxczxc 123asd123 asd12345 qwe12345 zxc12345
aaaaaaaa abcabcabc 1234abcd abcd12345 87654321a google123 facebook youtube1 microsoft
linkedin instagram twitter1 whatsapp netflix1 amazon123 apple123 samsung1 iphone12
windows1 ubuntu123 linux123 oracle123 mysql123 postgres123 database computer123
support1 support123 helpdesk helpdesk1 service1 academia academia1 student1 student123
teacher1 teacher123 school123 college1 university
qwerty monkey dragon master shadow summer winter spring autumn letmein welcome iloveu
football baseball princess sunshine superman batman pokemon freedom hunter killer
"""

COMMON_PASSWORDS = frozenset(_COMMON.split())
_TRAILING = re.compile(r"[\d\W_]+$")


def _normalise(password: str) -> str:
    return "".join(unicodedata.normalize("NFKC", password).lower().split())


def is_common(password: str) -> bool:
    """True when the password, or its stem without trailing digits and punctuation, is one
    of the most common ones."""
    text = _normalise(password)
    stem = _TRAILING.sub("", text)
    return (
        text in COMMON_PASSWORDS
        or (len(stem) >= 4 and stem in COMMON_PASSWORDS)
        or (len(stem) >= 4 and stem + "1" in COMMON_PASSWORDS)
    )


def _simple_pattern(text: str) -> bool:
    if len(set(text)) <= 2:  # aaaaaaaa, abababab
        return True
    steps = {ord(b) - ord(a) for a, b in zip(text, text[1:], strict=False)}
    return len(steps) == 1 and steps <= {1, -1}  # abcdefgh, 98765432


def password_problem(password: str | None, *, email: str = "", name: str = "") -> str | None:
    """The message to show beside the password field, or None when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return TOO_SHORT
    if len(password) > MAX_LENGTH:
        return TOO_LONG
    text = _normalise(password)
    if is_common(password):
        return TOO_COMMON
    if _simple_pattern(text):
        return TOO_SIMPLE
    local = _normalise(email).split("@")[0]
    for own in (local, _normalise(email), _normalise(name)):
        if len(own) >= 4 and _TRAILING.sub("", text) in (own, own.replace(".", "")):
            return LOOKS_LIKE_YOU
    return None
