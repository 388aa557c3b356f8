"""A sequential next-item model a catalog may carry (SASRec, Kang & McAuley, ICDM 2018), small enough to train on a
laptop CPU in minutes. It reads the ORDER of what a user liked, which the co-occurrence sums ignore; the ranker
uses it as one visible component (`sequence`) when the catalog folder holds `sequence_model.pt`.

Training: next-item prediction at every position of the catalog's interaction sequences, softmax over the true next
item and `negatives` items drawn uniformly per batch. Deterministic for a seed and a number of epochs; `budget_s`
only caps the time on a slow machine (the epochs actually run are recorded in the file).
"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

FILE_NAME = "sequence_model.pt"


class SequenceConfig(BaseModel):
    """Architecture and training settings (recorded in the model file)."""

    model_config = ConfigDict(extra="forbid")
    dim: int = 64
    layers: int = 2
    heads: int = 1
    max_len: int = 20
    dropout: float = 0.2
    epochs: int = 20
    batch: int = 256
    lr: float = 2e-3
    negatives: int = 1024
    seed: int = 0


def _network(n: int, c: SequenceConfig) -> Any:
    import torch
    from torch import nn

    pad = n

    class SASRec(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.item = nn.Embedding(n + 1, c.dim, padding_idx=pad)
            nn.init.normal_(self.item.weight, std=c.dim ** -0.5)
            with torch.no_grad():
                self.item.weight[pad].zero_()
            self.pos = nn.Embedding(c.max_len, c.dim)
            nn.init.normal_(self.pos.weight, std=c.dim ** -0.5)
            layer = nn.TransformerEncoderLayer(c.dim, c.heads, c.dim * 2, c.dropout, batch_first=True,
                                               norm_first=True)
            self.enc = nn.TransformerEncoder(layer, c.layers, enable_nested_tensor=False)
            self.norm = nn.LayerNorm(c.dim)
            self.drop = nn.Dropout(c.dropout)
            self.register_buffer("mask", torch.triu(torch.full((c.max_len, c.max_len), float("-inf")), diagonal=1))

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            h = self.drop(self.item(x) + self.pos.weight[None])
            return self.norm(self.enc(h, mask=self.mask))

    return SASRec()


class SequenceModel:
    """A trained model over a fixed list of item ids. Read-only after loading, so sessions can share it."""

    def __init__(self, item_ids: list[str], config: SequenceConfig, net: Any, seen: np.ndarray,
                 info: dict[str, Any] | None = None) -> None:
        self.item_ids, self.config, self.net, self.seen = item_ids, config, net, seen
        self.pos = {i: n for n, i in enumerate(item_ids)}
        self.info = info or {}
        net.eval()

    @classmethod
    def train(cls, sequences: list[list[int]], item_ids: list[str], config: SequenceConfig | None = None,
              budget_s: float | None = None, log: Callable[[str], None] | None = None) -> "SequenceModel":
        """Fit on `sequences` (item indices into `item_ids`, oldest first)."""
        import torch
        from torch import nn

        c = config or SequenceConfig()
        torch.manual_seed(c.seed)
        rng = np.random.default_rng(c.seed)
        n, L = len(item_ids), c.max_len
        windows = []
        for s in sequences:  # each sequence cut into windows of max_len + 1 items ending at its end
            end = len(s)
            while end > 1:
                windows.append(list(s[max(0, end - L - 1): end]))
                end -= L
        inp = np.full((len(windows), L), n, dtype=np.int64)
        tgt = np.full((len(windows), L), -100, dtype=np.int64)
        for r, w in enumerate(windows):
            inp[r, L - len(w) + 1:] = w[:-1]
            tgt[r, L - len(w) + 1:] = w[1:]
        net = _network(n, c)
        opt = torch.optim.Adam(net.parameters(), lr=c.lr)
        X, Y = torch.from_numpy(inp), torch.from_numpy(tgt)
        t0, done, loss_v = time.time(), 0, float("nan")
        for _ in range(c.epochs):
            net.train()
            order = rng.permutation(len(windows))
            total, cnt = 0.0, 0
            for b in range(0, len(order), c.batch):
                idx = torch.from_numpy(order[b:b + c.batch])
                y = Y[idx]
                keep = y >= 0
                hk, yk = net(X[idx])[keep], y[keep]
                neg = torch.from_numpy(rng.integers(0, n, size=c.negatives))
                pos_logit = (hk * net.item(yk)).sum(-1, keepdim=True)
                neg_logit = (hk @ net.item(neg).T).masked_fill(neg[None, :] == yk[:, None], float("-inf"))
                loss = nn.functional.cross_entropy(torch.cat([pos_logit, neg_logit], 1),
                                                   torch.zeros(len(yk), dtype=torch.long))
                opt.zero_grad()
                loss.backward()
                opt.step()
                total += float(loss.detach()) * len(yk)
                cnt += len(yk)
            done += 1
            loss_v = total / max(cnt, 1)
            if log:
                log(f"sequence model epoch {done}: loss {loss_v:.3f} ({time.time() - t0:.0f}s)")
            if budget_s is not None and time.time() - t0 > budget_s:
                break
        seen = np.zeros(n, dtype=bool)
        for s in sequences:
            seen[np.asarray(s, dtype=np.int64)] = True
        info = {"epochs_run": done, "seconds": round(time.time() - t0), "final_loss": round(loss_v, 4),
                "sequences": len(sequences), "windows": len(windows)}
        return cls(item_ids, c, net, seen, info)

    def save(self, path: Path) -> None:
        import torch

        torch.save({"config": self.config.model_dump(), "item_ids": self.item_ids,
                    "seen": torch.from_numpy(self.seen.copy()), "info": self.info, "state": self.net.state_dict()},
                   path)

    @classmethod
    def load(cls, path: Path) -> "SequenceModel":
        import torch

        d = torch.load(path, map_location="cpu", weights_only=True)  # plain data only: a catalog can't run code
        c = SequenceConfig.model_validate(d["config"])
        net = _network(len(d["item_ids"]), c)
        net.load_state_dict(d["state"])
        return cls(d["item_ids"], c, net, d["seen"].numpy().astype(bool), d.get("info"))

    def logits(self, histories: list[list[int]]) -> np.ndarray:
        """Next-item scores over every item for each history (item indices, oldest first); (B, n_items)."""
        import torch

        n, L = len(self.item_ids), self.config.max_len
        x = np.full((len(histories), L), n, dtype=np.int64)
        for r, h in enumerate(histories):
            h = list(h)[-L:]
            if h:
                x[r, L - len(h):] = h
        out = np.zeros((len(histories), n), dtype=np.float32)
        with torch.no_grad():
            emb = self.net.item.weight[:n]
            for b in range(0, len(x), 512):
                h = self.net(torch.from_numpy(x[b:b + 512]))[:, -1]
                out[b:b + 512] = (h @ emb.T).numpy()
        return out

    def zscores(self, history: list[str]) -> np.ndarray | None:
        """Every item's next-item score for this history as a z-score over the items seen in training (so a
        candidate's value does not depend on which other candidates are present); NaN for items the model never
        saw (the ranker imputes those from content neighbours); None when no history item is known."""
        hist = [self.pos[i] for i in history if i in self.pos]
        if not hist:
            return None
        lg = self.logits([hist])[0].astype(np.float64)
        ref = lg[self.seen] if self.seen.any() else lg
        z = (lg - ref.mean()) / (ref.std() or 1.0)
        z[~self.seen] = np.nan
        return z
