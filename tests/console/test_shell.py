"""`ccbot console` driven through a pipe, as a newcomer or a script would use it."""

from __future__ import annotations

import io
import re
import subprocess
import sys
from pathlib import Path

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    DatePickerElement,
    InputBlock,
    Option,
    PlainTextInputElement,
    SectionBlock,
    StaticSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.console.shell import Console
from tests.conftest import PILOT_ROSTER, ROOT


def test_the_demo_through_a_pipe_shows_status_home_and_refusals(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "/cc",
            "as @ziafazal",
            "/cc",
            "home",
            "as @nobody",
            "/cc",
            "as @idegtiarov",
            "/cc",
            "time +3d",
            "channels",
            "/cc-nope",
            "frobnicate",
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "First choose who you are" in out
    assert "You are now Zia Fazal (@ziafazal)." in out
    assert "Champions: @jbowman, @feanil" in out
    assert "── Home ──" in out
    assert "You are not on the Core Committer roster yet" in out
    assert "NDA / program agreement: not signed yet" in out
    assert "`/cc-nope` is not a command this bot has" in out
    assert "I don't know `frobnicate`" in out
    assert "Traceback" not in out + result.stderr
    assert (tmp_path / "ccbot-demo.db").exists()


def _run_demo(tmp_path: Path, script: str) -> subprocess.CompletedProcess[str]:
    """Run `ccbot console --demo` as a process in `tmp_path`, the script piped to it."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "console", "--demo"],
        input=script,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)},
    )


def _console(tmp_path: Path, script: str) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    console = Console(
        database_url=f"sqlite:///{tmp_path / 'c.db'}",
        stdin=io.StringIO(script),
        stdout=out,
        demo_roster=PILOT_ROSTER,
    )
    return console, out


def test_modals_are_asked_field_by_field_and_buttons_are_numbered(tmp_path: Path) -> None:
    # The first answer is empty (required: asked again), then too short for the app (its field error).
    console, out = _console(tmp_path, "as @ziafazal\n/try-form\n\nhi\n2\nsomething\nclick 1\nquit\n")
    received: list[dict] = []

    def open_form(ack, client, body):
        ack()
        view = View(
            type="modal",
            callback_id="try_form",
            title="Try a form",
            submit="Send",
            blocks=[
                InputBlock(
                    block_id="words", label="Your words", element=PlainTextInputElement(action_id="v")
                ),
                InputBlock(
                    block_id="pick",
                    label="Pick one",
                    element=StaticSelectElement(
                        action_id="v",
                        options=[Option(value="a", text="Apples"), Option(value="b", text="Bananas")],
                    ),
                ),
            ],
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def submit_form(ack, view, client, body):
        values = view["state"]["values"]
        if len(values["words"]["v"]["value"]) < 3:
            ack(response_action="errors", errors={"words": "Say a bit *more*."})
            return
        ack()
        received.append(values)
        client.chat_postMessage(
            channel=body["user"]["id"],
            text="thanks",
            blocks=[
                SectionBlock(text=f"You picked {values['pick']['v']['selected_option']['value']}"),
                ActionsBlock(elements=[ButtonElement(text="Again", action_id="again", value="x")]),
            ],
        )

    def again(ack, respond):
        ack()
        respond(text="Pressed again", response_type="ephemeral")

    console.app.command("/try-form")(open_form)
    console.app.view("try_form")(submit_form)
    console.app.action("again")(again)
    console.run()
    text = out.getvalue()
    assert "┌─ Try a form" in text
    assert "1. Apples" in text
    assert "2. Bananas" in text
    assert "! This field is required" in text
    assert "! Say a bit more." in text
    assert received
    assert received[0]["pick"]["v"]["selected_option"]["value"] == "b"
    assert "DM to @ziafazal" in text
    assert "You picked b" in text
    assert "[1] Again" in text
    assert "Pressed again" in text


def test_an_empty_roster_says_how_to_fill_it(tmp_path: Path) -> None:
    out = io.StringIO()
    Console(database_url=f"sqlite:///{tmp_path / 'e.db'}", stdin=io.StringIO("quit\n"), stdout=out).run()
    assert "The roster is empty: start with `ccbot console --demo`" in out.getvalue()


def test_a_scripted_question_is_asked_answered_nudged_and_owners_introduced(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "as @ziafazal",
            "/cc-ask https://github.com/openedx/edx-platform/pull/1 How do I run the certificates tests?",
            "",  # keep the pre-filled URL
            "",  # keep the pre-filled question
            "1",  # normal urgency
            "as @jbowman",
            "reply 1 Run pytest lms/djangoapps/certificates",
            "read #cc-coordination",
            "jobs",
            "time +2d",
            "run question_nudges",
            "as @pdpinch",
            "/cc-owners openedx/edx-platform lms/djangoapps/certificates/",
            "click 1",
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Question from @ziafazal on openedx/edx-platform#1" in out
    assert "For @jbowman and @feanil" in out
    assert "(you replied in the thread of #1)" in out
    assert "Answered by @jbowman in" in out
    assert "question_nudges          every 15 minutes" in out
    # The demo's open question (pdpinch's) is nudged; the answered ones are not.
    assert "@ormsbee and @kdmccormick: this question has no answer" in out
    assert "@jbowman and @feanil: this question has no answer" not in out
    assert "Path owners: @openedx/aperture (@jbowman, @rraposa), @feanil" in out
    assert "meet @pdpinch, a core committer" in out


def test_a_newcomer_asks_answers_escalates_and_reads_the_weekly_digest(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "as @ziafazal",
            "/cc-ask https://github.com/openedx/edx-platform/pull/2 Is the new grades signal safe?",
            "",
            "",
            "2",  # urgent
            "as @feanil",
            "dm",
            "read #cc-coordination",  # the demo's two questions and a reply (#5-#7), then Zia's: still #1
            "reply 1 Yes: it runs after the transaction commits.",
            "as @ziafazal",
            "/cc-escalate",
            "No reviewer for the grades PR",
            "Blocked for three weeks; release cut on Friday",
            "https://github.com/openedx/edx-platform/pull/2",
            "1",
            "as @nimisha",
            "read #cc-management",
            "click 1",
            "time +4d",
            "run weekly_digest",
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "🚨 URGENT Question from @ziafazal" in out
    assert "@ziafazal has an urgent question" in out, "the champion's DM"
    assert "Answered by @feanil in" in out
    assert "Escalation #1: No reviewer for the grades PR" in out
    assert "Acknowledged by @nimisha" in out
    assert "was acknowledged by @nimisha, who owns it now" in " ".join(out.split())  # may wrap
    assert "CORE COMMITTER WEEKLY DIGEST" in out
    assert "Questions: 3 asked · 2 answered · 1 still open" in out
    assert "Escalations: 1 opened · 1 acknowledged · 0 resolved" in out
    assert re.search(r"Champion +│ Open │ Answered │ First response \(median\)", out), "the load as a table"
    assert re.search(r"@feanil +│ 0 +│ 1 +│", out), "feanil answered one"
    pictures = re.findall(r"\[picture: (\S+\.png)\]", out)
    assert pictures, "the digest's chart, written to a file the console names"
    assert Path(pictures[0]).read_bytes().startswith(b"\x89PNG")
    assert "Time to first response, 75th percentile, by week" in out, "and its numbers in words"
    assert "Traceback" not in out + result.stderr


def test_the_console_plays_the_deployment_pipeline(tmp_path: Path) -> None:
    script = "\n".join(
        ["as @ziafazal", "deploy escaped_issue @ziafazal 35120", "click 3", "deploy nonsense @x 1", "quit"]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] I'm reverting   [2] Not my change   [3] Need help" in out
    assert "user_id=[redacted]" in out
    assert "jane@example.com" not in out
    assert "@ziafazal's openedx/edx-platform#35120" in out
    assert "@ziafazal needs help with" in out
    assert '400 {"error": "event:' in out


class Keys(io.StringIO):
    """Lines typed at the console; a line `^C` is Ctrl-C (KeyboardInterrupt), as at a terminal."""

    def readline(self, size: int | None = -1, /) -> str:  # type: ignore[override]
        line = super().readline(-1 if size is None else size)
        if line.strip() == "^C":
            raise KeyboardInterrupt
        return line


def _form_console(tmp_path: Path, script: str) -> tuple[Console, io.StringIO, list[dict]]:
    out = io.StringIO()
    console = Console(
        database_url=f"sqlite:///{tmp_path / 'f.db'}",
        stdin=Keys(script),
        stdout=out,
        demo_roster=PILOT_ROSTER,
    )
    received: list[dict] = []

    def open_form(ack, client, body):
        ack()
        view = View(
            type="modal",
            callback_id="when_form",
            title="Plan a release",
            submit="Save",
            blocks=[
                InputBlock(block_id="due", label="Due date", element=DatePickerElement(action_id="v")),
                InputBlock(
                    block_id="kind",
                    label="Kind",
                    element=StaticSelectElement(
                        action_id="v",
                        options=[Option(value="a", text="Minor"), Option(value="b", text="Major")],
                    ),
                ),
                InputBlock(block_id="who", label="Release manager", element=UserSelectElement(action_id="v")),
            ],
        )
        client.views_open(trigger_id=body["trigger_id"], view=view)

    def save(ack, view):
        ack()
        received.append(view["state"]["values"])

    console.app.command("/when")(open_form)
    console.app.view("when_form")(save)
    return console, out, received


def test_date_fields_say_their_format_and_bad_answers_are_asked_again(tmp_path: Path) -> None:
    script = (
        "as @ziafazal\n/when\nnext friday\n2026-13-01\n2026-12-18\n7\nmajor\n@nobody-here\n@feanil\nquit\n"
    )
    console, out, received = _form_console(tmp_path, script)
    console.run()
    text = out.getvalue()
    assert "│ Due date (YYYY-MM-DD): next friday" in text
    assert "│ ! 'next friday' is not a date: type it as YYYY-MM-DD, like 2026-12-18" in text
    assert "│ ! '2026-13-01' is not a date" in text
    assert "│ ! '7' is not one of the choices: type its number (1-2) or its name" in text
    assert "│ ! no one called @nobody-here on the roster" in text
    assert "└─ sent" in text
    assert len(received) == 1
    values = received[0]
    assert values["due"]["v"]["selected_date"] == "2026-12-18"
    assert values["kind"]["v"]["selected_option"]["value"] == "b"
    assert console.names[values["who"]["v"]["selected_user"]] == "feanil"
    assert "Traceback" not in text


def test_ctrl_c_in_a_form_closes_the_form_not_the_console(tmp_path: Path) -> None:
    console, out, received = _form_console(
        tmp_path, "as @ziafazal\n/when\n2026-12-18\n^C\n^C\nas @feanil\nquit\n"
    )
    console.run()
    text = out.getvalue()
    assert "└─ form closed, nothing sent" in text
    assert "(Ctrl-C: type `quit` or press Ctrl-D to leave)" in text
    assert "You are now Feanil" in text, "the console carried on"
    assert received == []


def test_message_numbers_stay_with_their_message(tmp_path: Path) -> None:
    console, out = _console(
        tmp_path, "as @ziafazal\n/post\nclick 1\nreply 2 still here\nread #cc-coordination\nquit\n"
    )
    channel = "C0COORDIN"

    def post(ack, client):
        ack()
        client.chat_postMessage(
            channel=channel,
            text="first",
            blocks=[
                SectionBlock(text="*First* message"),
                ActionsBlock(elements=[ButtonElement(text="Edit me", action_id="edit", value="x")]),
            ],
        )
        client.chat_postMessage(channel=channel, text="Second message")

    def edit(ack, body, client):
        ack()
        message = body["container"]
        client.chat_update(
            channel=message["channel_id"],
            ts=message["message_ts"],
            text="First, edited",
            blocks=[SectionBlock(text="First, edited")],
        )
        client.chat_postMessage(channel=channel, text="Third message")

    console.app.command("/post")(post)
    console.app.action("edit")(edit)
    before = len(console.slack.messages(channel))
    console.run()
    text = out.getvalue()
    click_output = text.split("ziafazal> click 1")[1].split("ziafazal> reply")[0]
    assert "── #1 #cc-coordination · ccbot ──\n  First, edited" in click_output, "an edit keeps its number"
    assert "── #3 #cc-coordination · ccbot ──\n  Third message" in click_output
    assert "(you replied in the thread of #2)" in text
    messages = console.slack.messages(channel)[before:]
    second, reply = messages[1], messages[-1]
    assert second["text"] == "Second message"
    assert (reply["text"], reply["thread_ts"]) == ("still here", second["ts"])
    after_read = text.split("ziafazal> read #cc-coordination")[1]
    assert "── #1 #cc-coordination · ccbot ──\n  First, edited" in after_read, "#1 is still the first message"
    assert "── #3 #cc-coordination · ccbot ──\n  Third message" in after_read


def test_long_lines_wrap_under_an_indent(tmp_path: Path) -> None:
    console, out = _console(tmp_path, "quit\n")
    words = " ".join(f"word{n}" for n in range(60))
    console.say(f"• {words}", prefix="  ")
    lines = out.getvalue().splitlines()
    assert len(lines) > 2
    assert all(len(line) <= 100 for line in lines)
    assert lines[0].startswith("  • word0 ")
    assert all(line.startswith("    word") for line in lines[1:])
    assert " ".join(" ".join(lines).split()) == f"• {words}"


def test_user_mistakes_are_messages(tmp_path: Path) -> None:
    script = "as @ziafazal\ntime +9999999d\ntime\nreply 9 hello\nclick 4\n/boom\nquit\n"
    console, out = _console(tmp_path, script)

    def boom(ack):
        raise RuntimeError("a bug in a handler")

    console.app.command("/boom")(boom)
    console.run()
    text = out.getvalue()
    assert "The bot's clock moves at most 10 years from today; try a smaller step." in text
    assert "Usage: reply N text, where #N is a message on the screen." in text
    assert "There is no button [4]; the last output had 0." in text
    assert "Sorry, something went wrong on my side (error id" in text
    assert "Traceback" not in text


def test_the_console_plays_github_deliveries_and_shows_the_access_plan(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "as @ziafazal",
            "github merged @ziafazal openedx/edx-platform#4242",
            "github label @ziafazal openedx/edx-platform#4243",
            "as @bradenmacdonald",
            "dm",
            "click 2",
            "github nonsense",
            "access",
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert '(GitHub → /hooks/github: 200 {"status": "accepted", "detail": "merge by ziafazal recorded"' in out
    assert (
        "@ziafazal merged openedx/edx-platform#4242 (https://github.com/openedx/edx-platform/pull/4242)"
        in out
    )
    assert "Champions: @jbowman, @feanil" in out
    assert "[1] Take it   [2] Pass it on" in out
    assert "You passed it on; @felipemontoya is asked now." in out
    assert "Usage: github opened|merged|label|review-requested|review @handle org/repo#N" in out
    assert "  - idegtiarov               onboarding: NDA missing" in out
    assert "  ? edx-mystery-user         not on the roster: left alone" in out
    assert "plan only, nothing changed" in out


def test_the_demo_hands_a_question_back_to_the_committer_and_rates_a_nudge(tmp_path: Path) -> None:
    script = "\n".join(
        [
            "as @kdmccormick",
            "time +3d",
            "run question_nudges",
            "run question_nudges",
            "dm",
            "click 1",
            "as @ormsbee",
            "read #cc-coordination",
            "click 4",
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "[1] Helpful   [2] Not helpful" in out
    assert "you rated this nudge helpful" in out
    assert "[4] Waiting on the committer" in out
    assert "is waiting on @pdpinch: over to you" in out
    assert "waiting on @pdpinch" in out


def test_after_moving_the_clock_reminders_say_how_long_things_have_really_waited(tmp_path: Path) -> None:
    console, out = _console(
        tmp_path,
        "\n".join(
            [
                "as @ziafazal",
                "/cc-escalate",
                "No reviewer for the grades PR",
                "Blocked for three weeks",
                "",
                "2",  # urgent: the first reminder falls due after 15 minutes
                "time +2d",
                "run escalation_reminders",
                "quit",
            ]
        ),
    )
    console.run()
    text = " ".join(out.getvalue().split())  # reminders may wrap
    ran = text.split("run escalation_reminders")[1]
    assert "Not acknowledged after 2d." in ran
    assert "has waited 2d without an acknowledgement" in ran
    assert "15m" not in ran


def test_message_numbers_never_restart_and_reply_reaches_any_number_shown(tmp_path: Path) -> None:
    # `read` and `dm` used to start their screen at #1 again: #1 then named another message, and a number
    # shown before a `read` was refused.
    console, out = _console(
        tmp_path,
        "\n".join(
            [
                "as @ziafazal",
                "/cc-ask https://github.com/openedx/edx-platform/pull/3 Where do the grades signals live?",
                "",
                "",
                "2",  # urgent: the champions get a DM too
                "read #cc-coordination",
                "dm @jbowman",
                "read #cc-digest",
                "read #cc-coordination",
                "as @jbowman",
                "reply 1 In lms/djangoapps/grades/signals.",
                "dm",
                "reply 3 On it.",
                "quit",
            ]
        ),
    )
    console.run()
    text = out.getvalue()
    headers = re.findall(r"── #(\d+) (.+?) · \S+ ──", text)
    assert len(headers) > 10
    where: dict[str, str] = {}
    for number, place in headers:
        assert where.setdefault(number, place) == place, f"#{number} named another message"
    assert where["1"] == "#cc-coordination"
    assert where["3"] == "DM to @jbowman"
    assert "Usage: reply N text" not in text
    messages = console.slack.state.messages
    question = next(m for m in messages if m["text"].startswith("Urgent question from Zia"))
    replies = {m["text"]: m for m in messages if m.get("user") == "U0CHAMP01" and m.get("thread_ts")}
    assert replies["In lms/djangoapps/grades/signals."]["thread_ts"] == question["ts"], "#1 after three reads"
    dm = replies["On it."]
    assert dm["channel"].startswith("D"), "#3 was still jbowman's DM, shown again by `dm`"
    assert "(you replied in the thread of #3)" in text


def test_the_console_plays_an_opened_pull_request_and_shows_the_core_contributor_label(
    tmp_path: Path,
) -> None:
    script = "\n".join(
        [
            "github opened @ziafazal openedx/edx-platform#77",  # an active committer with a grant there
            "github opened @ziafazal openedx/frontend-app-learning#78",  # no grant on that repository
            "github opened @nimisha openedx/edx-platform#79",  # a manager, not a committer
            "quit",
        ]
    )
    result = _run_demo(tmp_path, script)
    out = " ".join(result.stdout.split())
    assert result.returncode == 0, result.stderr
    assert "(GitHub: openedx/edx-platform#77 is labelled 'core contributor')" in out
    assert "the author holds no grant for openedx/frontend-app-learning" in out
    assert "(GitHub: openedx/frontend-app-learning#78 is labelled nothing)" in out
    assert "the author is not an active committer" in out
    assert "(GitHub: openedx/edx-platform#79 is labelled nothing)" in out
