python scripts/train.py --env teachrl/Parkour-v0 --env-kwargs "{body: old_classic_bipedal}" --teacher random \
  --levels "[[-0.15, 0.8, 0.1, 0.0, 0.0, 5.0]]" --eval-set levels --eval-episodes 5 \
  --student ppo --steps 600000 --n-envs 8 --normalize --torch-threads 1 \
  --student-params "{n_steps: 1024, batch_size: 256, n_epochs: 5, gamma: 0.99, gae_lambda: 0.95, learning_rate: 3.0e-4, ent_coef: 0.0, clip_range: 0.2}" \
  --eval-every 50000 --checkpoint-every 100000 --log-every 20000 --wandb-mode disabled --no-progress-bar \
  --run-dir runs/parkour_walker_ppo_s0
