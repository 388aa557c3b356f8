"""`python -m chatrec chat [--jsonl] [--catalog NAME]`: talk to the recommender in a terminal, or JSON lines in and
out for other programs (one session per caller id, alive for the call)."""
from __future__ import annotations

import json
from typing import Any, TextIO


def add_parser(sub: Any) -> None:
    chat = sub.add_parser("chat", help="talk to the recommender")
    chat.add_argument("--jsonl", action="store_true", help="JSON lines on stdin, one JSON reply per line")
    chat.add_argument("--catalog", default=None)


def run(args: Any) -> int:
    import sys

    from chatrec.recommender import Recommender

    rec = Recommender.from_settings()
    if args.jsonl:
        chat_jsonl(rec, args.catalog, sys.stdin, sys.stdout)
    else:
        chat_terminal(rec, args.catalog)
    return 0


def chat_jsonl(rec: Any, catalog: str | None, inp: TextIO, out: TextIO) -> None:
    """One JSON line out per line in; sessions keyed by the caller's id live only in this call."""
    from chatrec.errors import InputError

    sessions: dict[str, Any] = {}

    def emit(obj: dict[str, Any]) -> None:
        out.write(json.dumps(obj, ensure_ascii=False) + "\n")
        out.flush()

    for raw in inp:
        if not raw.strip():
            continue
        sid = None
        try:
            try:
                msg = json.loads(raw)
            except json.JSONDecodeError as e:
                raise InputError(f"not valid JSON ({e.msg} at column {e.colno}); "
                                 "send one JSON object per line") from None
            if not isinstance(msg, dict):
                raise InputError('each line must be a JSON object like {"session": "s1", "message": "..."}')
            sid = msg.get("session")
            if not isinstance(sid, (str, int)) or isinstance(sid, bool) or str(sid) == "":
                sid = None
                raise InputError('missing "session": give each conversation an id, e.g. {"session": "s1", ...}')
            sid = str(sid)
            if sid not in sessions:
                sessions[sid] = rec.new_session(catalog=msg.get("catalog", catalog))
            session = sessions[sid]
            if "feedback" in msg:
                fb = msg["feedback"]
                if not isinstance(fb, dict) or not isinstance(fb.get("liked"), bool):
                    raise InputError('feedback must be {"item_id": ID, "liked": true|false}')
                state = rec.feedback(session, fb.get("item_id"), fb["liked"])
                emit({"session": sid, "ok": True, "state": state.model_dump(mode="json", exclude={"turns"})})
                continue
            if "message" not in msg:
                raise InputError('a line needs "message" (text) or "feedback"')
            reply = rec.respond(session, msg["message"])
            emit({"session": sid, "reply": reply.text, "intent": reply.intent,
                  "recommendations": [r.model_dump(mode="json") for r in reply.recommendations],
                  "ranking": reply.ranking, "reasoning": [s.model_dump() for s in reply.reasoning],
                  "notices": reply.notices, "state": reply.state})
        except InputError as e:
            emit({"session": sid, "error": str(e)})
        except Exception as e:  # the stream must go on whatever one line does
            emit({"session": sid, "error": f"internal error ({type(e).__name__}: {e}); the session is unchanged"})


def chat_terminal(rec: Any, catalog: str | None) -> None:
    from chatrec.errors import InputError
    from chatrec.pipeline.events import Cards, Explanation, Replied

    session = rec.new_session(catalog=catalog)
    cat = rec.catalog(session.state.catalog)
    print(f"chatrec ({cat.name}): tell me what you're in the mood for. Commands: /like N, /dislike N, /state, /quit")
    while True:
        try:
            text = input("> ").strip()
        except (EOFError, KeyboardInterrupt):
            print()
            return
        if text in ("/quit", "/exit"):
            return
        if text == "/state":
            print(json.dumps(session.snapshot(), indent=2))
            continue
        if text.startswith(("/like", "/dislike")):
            try:
                n = int(text.split()[1]) - 1
                item_id = session.state.last_recommended[n]
                rec.feedback(session, item_id, text.startswith("/like"))
                print(f"noted: {'liked' if text.startswith('/like') else 'disliked'} {cat.label(cat.by_id[item_id])}")
            except (IndexError, ValueError):
                print("usage: /like N or /dislike N, where N is a number from the last list")
            continue
        try:
            for ev in rec.respond_stream(session, text):
                match ev:
                    case Cards(recommendations=recs):
                        for n, r in enumerate(recs, 1):
                            print(f"  {n}. {r.title}")
                    case Explanation(text=explanation):
                        print(f"     - {explanation}")
                    case Replied(reply=reply) if reply.intent != "recommend":
                        print(reply.text)
                    case Replied(reply=reply):
                        for note in reply.notices:
                            print(f"  ({note})")
        except InputError as e:
            print(f"! {e}")
