"""A character-level Transformer language model in the style of PyTorch's word_language_model
example (its TransformerModel), run on gradsheet: only the imports differ from a PyTorch
program.

The corpus is the eight sonnets bundled with gradsheet, cut into windows of `--bptt`
characters (CharDataset: x = text[i : i + T], y = text[i + 1 : i + T + 1]). The model:
an embedding scaled by sqrt(d_model), positions (sinusoidal, PE(p, 2i) = sin(p / 10000^(2i/d)),
PE(p, 2i+1) = cos(...), or learned with `--positions learned`), a stack of
TransformerEncoderLayers under the causal mask (nn.Transformer.generate_square_subsequent_mask:
-inf above the diagonal, so character t sees characters <= t only), and a linear decoder to
the next character's logits. Trained by a plain loop with AdamW and gradient clipping; at the
end it samples, each character drawn from softmax(logits / temperature).

    python examples/char_transformer.py --steps 1500 --temperature 0.8
"""
import argparse
import math
import time

import gradsheet as torch
import gradsheet.nn as nn
import gradsheet.nn.functional as F
from gradsheet.data.datasets import CharDataset
from gradsheet.utils.data import DataLoader


class PositionalEncoding(nn.Module):
    """Adds the sinusoidal table of "Attention Is All You Need" to the embeddings."""

    def __init__(self, d_model, dropout=0.1, max_len=5000):
        super(PositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        position = torch.arange(0, max_len, dtype=torch.float).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2).float() * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer('pe', pe.unsqueeze(0))  # (1, max_len, d_model): batch first

    def forward(self, x):
        x = x + self.pe[:, :x.size(1)]
        return self.dropout(x)


class LearnedPositionalEncoding(nn.Module):
    """One trained vector per position, added to the embeddings."""

    def __init__(self, d_model, dropout=0.1, max_len=512):
        super(LearnedPositionalEncoding, self).__init__()
        self.dropout = nn.Dropout(p=dropout)
        self.pe = nn.Embedding(max_len, d_model)

    def forward(self, x):
        positions = torch.arange(x.size(1))
        return self.dropout(x + self.pe(positions))


class TransformerModel(nn.Module):
    """Embedding -> positions -> causal TransformerEncoder -> Linear: next-character logits."""

    def __init__(self, ntoken, d_model, nhead, d_hid, nlayers, dropout=0.1, positions='sinusoidal',
                 max_len=512):
        super(TransformerModel, self).__init__()
        if positions == 'sinusoidal':
            self.pos_encoder = PositionalEncoding(d_model, dropout, max_len)
        else:
            self.pos_encoder = LearnedPositionalEncoding(d_model, dropout, max_len)
        encoder_layers = nn.TransformerEncoderLayer(d_model, nhead, d_hid, dropout,
                                                    batch_first=True)
        self.transformer_encoder = nn.TransformerEncoder(encoder_layers, nlayers,
                                                         enable_nested_tensor=False)
        self.embedding = nn.Embedding(ntoken, d_model)
        self.d_model = d_model
        self.decoder = nn.Linear(d_model, ntoken)
        self.init_weights()

    def init_weights(self):
        initrange = 0.1
        self.embedding.weight.data.uniform_(-initrange, initrange)
        self.decoder.bias.data.zero_()
        self.decoder.weight.data.uniform_(-initrange, initrange)

    def forward(self, src):
        """src (N, T) character ids -> logits (N, T, ntoken); position t sees 0..t only."""
        mask = nn.Transformer.generate_square_subsequent_mask(src.size(1))
        src = self.embedding(src) * math.sqrt(self.d_model)
        src = self.pos_encoder(src)
        output = self.transformer_encoder(src, mask=mask, is_causal=True)
        return self.decoder(output)


def evaluate(model, batches, ntokens):
    """Mean next-character cross-entropy over fixed (x, y) batches, in eval mode."""
    model.eval()
    total, count = 0.0, 0
    with torch.no_grad():
        for x, y in batches:
            logits = model(x)
            total += F.cross_entropy(logits.reshape(-1, ntokens), y.reshape(-1),
                                     reduction='sum').item()
            count += y.numel()
    model.train()
    return total / count


def sample(model, dataset, prompt, length, temperature, bptt):
    """Continue ``prompt`` by ``length`` characters drawn from softmax(logits / temperature),
    the model seeing the last ``bptt`` characters each time."""
    model.eval()
    ids = torch.tensor(dataset.encode(prompt)).unsqueeze(0)
    with torch.no_grad():
        for _ in range(length):
            logits = model(ids[:, -bptt:])[:, -1, :] / temperature
            probs = F.softmax(logits, dim=-1)
            next_id = torch.multinomial(probs, num_samples=1)
            ids = torch.cat([ids, next_id], dim=1)
    model.train()
    return dataset.decode(ids[0].tolist())


def main():
    parser = argparse.ArgumentParser(description='gradsheet character-level Transformer LM')
    parser.add_argument('--d-model', type=int, default=64)
    parser.add_argument('--nhead', type=int, default=4)
    parser.add_argument('--d-hid', type=int, default=128)
    parser.add_argument('--nlayers', type=int, default=2)
    parser.add_argument('--dropout', type=float, default=0.1)
    parser.add_argument('--positions', choices=['sinusoidal', 'learned'], default='sinusoidal')
    parser.add_argument('--bptt', type=int, default=64, help='characters per window')
    parser.add_argument('--batch-size', type=int, default=32)
    parser.add_argument('--lr', type=float, default=3e-3)
    parser.add_argument('--clip', type=float, default=1.0)
    parser.add_argument('--steps', type=int, default=1500)
    parser.add_argument('--log-interval', type=int, default=100)
    parser.add_argument('--temperature', type=float, default=0.8)
    parser.add_argument('--prompt', default='Shall I ')
    parser.add_argument('--sample-len', type=int, default=300)
    parser.add_argument('--seed', type=int, default=1111)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    dataset = CharDataset(seq_len=args.bptt)
    ntokens = dataset.vocab_size
    model = TransformerModel(ntokens, args.d_model, args.nhead, args.d_hid, args.nlayers,
                             args.dropout, args.positions, max_len=args.bptt)
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    nparams = sum(p.numel() for p in model.parameters())
    print(f'{len(dataset)} windows of {args.bptt} characters, vocabulary {ntokens}; '
          f'{nparams} parameters, {args.positions} positions')

    # a fixed set of windows to measure the loss on, before and after training
    held = torch.randperm(len(dataset))[:8 * args.batch_size]
    eval_batches = [dataset.get_batch(held[i:i + args.batch_size].numpy())
                    for i in range(0, len(held), args.batch_size)]
    before = evaluate(model, eval_batches, ntokens)

    step, total_loss, start_time = 0, 0.0, time.time()
    loader = DataLoader(dataset, batch_size=args.batch_size, shuffle=True, drop_last=True)
    while step < args.steps:
        for x, y in loader:
            optimizer.zero_grad()
            logits = model(x)
            loss = F.cross_entropy(logits.reshape(-1, ntokens), y.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), args.clip)
            optimizer.step()
            total_loss += loss.item()
            step += 1
            if step % args.log_interval == 0:
                cur_loss = total_loss / args.log_interval
                elapsed = time.time() - start_time
                print('| step {:5d} | ms/batch {:6.1f} | loss {:5.3f} | ppl {:7.2f}'.format(
                    step, elapsed * 1000 / args.log_interval, cur_loss, math.exp(cur_loss)))
                total_loss, start_time = 0.0, time.time()
            if step == args.steps:
                break

    torch.manual_seed(args.seed)
    text = sample(model, dataset, args.prompt, args.sample_len, args.temperature, args.bptt)
    print('-' * 89)
    print(f'sample (temperature {args.temperature}):')
    print(text)
    print('-' * 89)
    after = evaluate(model, eval_batches, ntokens)
    print(f'cross-entropy {before:.3f} before training, {after:.3f} after '
          f'(uniform guess ln {ntokens} = {math.log(ntokens):.3f})')


if __name__ == '__main__':
    main()
