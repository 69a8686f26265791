"""A variational autoencoder in the style of PyTorch's VAE example, on gradsheet (only the
imports differ), on scikit-learn's bundled 8x8 digits (pixels scaled to [0, 1]).

Encoder q(z|x) = N(mu(x), diag(exp(logvar(x)))), a sample z = mu + eps * std with eps ~ N(0, I)
(the reparameterisation trick, so gradients reach mu and logvar), decoder p(x|z) Bernoulli:
    loss = BCE(x_hat, x) (summed) + KL(q(z|x) || N(0, I)),
    KL = -1/2 * sum(1 + logvar - mu^2 - exp(logvar))          (Kingma and Welling, 2014)

    python examples/vae.py --epochs 10
"""
import argparse

import gradsheet as torch
from gradsheet import nn, optim
from gradsheet.nn import functional as F
from gradsheet.utils.data import DataLoader, TensorDataset
from sklearn.datasets import load_digits


class VAE(nn.Module):
    def __init__(self, pixels=64, hidden=128, latent=8):
        super(VAE, self).__init__()
        self.pixels = pixels
        self.fc1 = nn.Linear(pixels, hidden)
        self.fc21 = nn.Linear(hidden, latent)
        self.fc22 = nn.Linear(hidden, latent)
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, pixels)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar):
        std = torch.exp(0.5 * logvar)
        eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x):
        mu, logvar = self.encode(x.view(-1, self.pixels))
        z = self.reparameterize(mu, logvar)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    """Reconstruction + KL divergence losses summed over all elements and batch."""
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, recon_x.shape[1]), reduction='sum')
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


def main():
    parser = argparse.ArgumentParser(description='gradsheet VAE example')
    parser.add_argument('--batch-size', type=int, default=64)
    parser.add_argument('--epochs', type=int, default=10)
    parser.add_argument('--seed', type=int, default=1)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    images = torch.tensor(load_digits().data / 16.0, dtype=torch.float32)
    train_loader = DataLoader(TensorDataset(images[:1500]), batch_size=args.batch_size,
                              shuffle=True)
    test_images = images[1500:]
    model = VAE()
    optimizer = optim.Adam(model.parameters(), lr=1e-3)

    def test_loss():
        model.eval()
        with torch.no_grad():
            recon, mu, logvar = model(test_images)
            return loss_function(recon, test_images, mu, logvar).item() / len(test_images)

    first = test_loss()
    for epoch in range(1, args.epochs + 1):
        model.train()
        train_loss = 0
        for (data,) in train_loader:
            optimizer.zero_grad()
            recon_batch, mu, logvar = model(data)
            loss = loss_function(recon_batch, data, mu, logvar)
            loss.backward()
            train_loss += loss.item()
            optimizer.step()
        print('====> Epoch: {} Average loss: {:.4f}'.format(
            epoch, train_loss / len(train_loader.dataset)))
    last = test_loss()
    print(f"test loss per image {first:.2f} before training, {last:.2f} after")


if __name__ == '__main__':
    main()
