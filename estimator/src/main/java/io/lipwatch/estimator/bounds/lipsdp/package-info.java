/**
 * LipSDP (Fazlyab, Robey, Hassani, Morari, Pappas, NeurIPS 2019) with the CSDP solver, and nothing reported that we
 * have not checked ourselves.
 *
 * <h2>Formulation</h2>
 * For f(x) = W_L φ(W_{L−1} … φ(W_1 x)) with element-wise activations whose slopes lie in [α, β] (ReLU, tanh [0, 1],
 * sigmoid [0, ¼], leaky ReLU [a, 1] …), stack z = [x₀; x₁; …; x_{L−1}] (input and hidden outputs; biases cancel in
 * differences). With v = Az the pre-activations, w = Bz the activations and Q = [[−2αβT, (α+β)T], [(α+β)T, −2T]]
 * for a diagonal T ⪰ 0, slope restriction gives [v; w]ᵀQ[v; w] ≥ 0 for differences of trajectories. If
 *
 * <pre>
 *   [A; B]ᵀ Q [A; B] + blkdiag(−ρI, 0, …, 0, W_LᵀW_L) ⪯ 0                                   (LMI)
 * </pre>
 *
 * then ‖f(x) − f(x′)‖² ≤ ρ‖x − x′‖², so L = √ρ. We minimise ρ over (ρ, T): an SDP, linear in both. We write
 * S(ρ, T) = −(LMI matrix) = ρE₀ − Σ_k t_k G_k − N ⪰ 0 with G_k = −2αβ a_k a_kᵀ + (α+β)(a_k b_kᵀ + b_k a_kᵀ)
 * − 2 b_k b_kᵀ (a_k: neuron k's row of W_i on block x_{i−1}; b_k: its unit vector on block x_i) and N the
 * W_LᵀW_L block. LipSDP-Neuron ({@code lipsdp}) has one t_k ≥ 0 per hidden neuron; LipSDP-Layer
 * ({@code lipsdp-layer}) one λ_i ≥ 0 per hidden layer (T_i = λ_i I), a subset of the Neuron multipliers, so
 * Layer ≥ Neuron. With α = 0 (ReLU, tanh, sigmoid) the matrices are as sparse as the weights; αβ ≠ 0 (leaky ReLU)
 * adds dense W_iᵀ diag(T) W_i blocks and is limited by {@code maxNonzeros}.
 *
 * <h2>SDPA / CSDP</h2>
 * CSDP solves max tr(CX) s.t. tr(A_i X) = a_i, X ⪰ 0 and its dual min aᵀy s.t. Σ y_i A_i − C = Z ⪰ 0. The SDPA
 * sparse file ({@link io.lipwatch.estimator.bounds.lipsdp.SdpaWriter}) gives a = c, C = F₀, A_i = F_i. Our
 * variables are y = (ρ, t…) and the LMI is the dual slack: F_ρ = E₀, F_t = −G_k (and +1 in a diagonal block
 * for t ≥ 0), F₀ = N + δI with δ = 10⁻⁷ (on the scaled problem) so the solver's point lies strictly inside the
 * cone. csdp runs as a child process in a private temporary directory with a wall-clock budget (killed past it); the
 * first line of its solution file is y.
 *
 * <h2>Scaling</h2>
 * Each W_i is multiplied by c_i = 2^{e_i} with ‖c_i W_i‖₂ ∈ [1, 2) (exact in binary floating point; a layer whose
 * entries would lose bits stays unscaled). The scaled weights describe the network f′ = s_L·f with s_i = Π_{j≤i} c_j
 * and activations φ′(u) = s_i φ(u / s_i), which have the same slope range; so a bound L′ for f′ gives L′ / s_L for f,
 * exactly. (Equivalently S(ρ, T) = DᵀS′D / s_L² with D = blkdiag(I, s_1 I, …), ρ = ρ′/s_L², t_k = t′_k s_i²/s_L².)
 *
 * <h2>Input-side reduction</h2>
 * With more inputs than first-layer units (MNIST: 784 → 64) CSDP is slow because each first-layer multiplier has a
 * dense 784-entry row. The LMI depends on W_1 only through W_1W_1ᵀ (W_1 = UΣVᵀ: a congruence by [V, V⊥] splits off
 * a decoupled ρI block), so the SDP sent to CSDP uses the square lower-triangular Cholesky factor F of
 * W_1W_1ᵀ + εI (ε = 10⁻¹² of the mean diagonal, which can only enlarge ρ). The multipliers are the same variables;
 * the verification below always uses the full, unreduced LMI with the real W_1.
 *
 * <h2>Verification — the solver is never trusted</h2>
 * The multipliers returned are clamped to ≥ 0, then {@link io.lipwatch.estimator.bounds.lipsdp.LmiCertificate}
 * rebuilds S(ρ, T) in double precision from the scaled weights, bounds its assembly rounding error entry-wise
 * (γ_K times the absolute term sums, K the terms per entry), and runs a Cholesky factorisation of S − σI with σ =
 * that error bound plus Rump's a-posteriori bound for Cholesky rounding (×2). Success proves S(ρ, T) ⪰ 0 exactly for
 * those doubles. If the solver's ρ fails, ρ is raised along 1+10⁻¹⁰, 1+10⁻⁹, … up to {@code maxInflation}
 * (default 10⁻³) and bisected; the relative inflation used is reported in the note and in
 * {@link io.lipwatch.estimator.bounds.lipsdp.LipSdp.Solution#inflation}. Then L = √ρ rounded up. Any failure — the
 * solver missing, killed on timeout, infeasible, a truncated or non-numeric solution, or an answer that does not pass
 * — throws {@link io.lipwatch.estimator.bounds.lipsdp.LipSdpException} with its reason; there is no fallback number.
 *
 * <h2>Projection (Pauli et al. 2020, ADMM W̄-step)</h2>
 * {@link io.lipwatch.estimator.bounds.lipsdp.LipSdp#project}: min Σ‖W̄_i − W_i‖²_F s.t. the LMI at ρ = L_des² with T
 * fixed (enforce); {@link io.lipwatch.estimator.bounds.lipsdp.LipSdp#projectPenalized} adds c·ρ to the objective and
 * leaves ρ free (penalise). For slopeMin = 0 the LMI is linear in W̄_1 … W̄_{L−1}; the last layer's −W̄_LᵀW̄_L
 * becomes the Schur block [[S_lin, Uᵀ], [U, I]] ⪰ 0, U = [0 … W̄_L]; each row's distance is an epigraph
 * [[s, dᵀ], [d, I]] ⪰ 0. Every weight is a variable, with one exact reduction: when W_1 has more columns than rows,
 * the optimal W̄_1 lies in the row space of W_1 (a component orthogonal to it adds to the distance and only enlarges
 * W̄_1W̄_1ᵀ, which is all the LMI sees), so with Q an orthonormal basis of that row space (W_1 = FQ) the SDP projects
 * F (n_1 × n_1) and W̄_1 = F̄Q, at the same distance. That makes 784-50-50-10 a 5610-variable SDP (~30 s); the
 * result is checked on the full, unreduced LMI with the same Cholesky certificate.
 *
 * <h2>Size and time</h2>
 * CSDP works on a dense (min(n₀, n₁) + hidden)² matrix with 1 + hidden variables (Neuron) or 1 + layers (Layer);
 * the verification Cholesky is on the full (n₀ + hidden)² matrix. Measured on 2 shared cores, 1 csdp thread,
 * Gaussian ReLU nets: 784-64-64-10 Neuron 3.6 s / Layer 2.3 s; 784-100-100-10 13 s / 5 s; 784-200-200-10
 * 156 s / 34 s; 10-200-200-10 Neuron over 300 s, Layer 18 s. Neuron mode fits the default 120 s budget up to roughly
 * 250–300 hidden units (it depends on conditioning, not only size); Layer mode goes further; defaults: 400 hidden units, LMI side 1500, 5·10⁶ nonzeros, 120 s.
 */
package io.lipwatch.estimator.bounds.lipsdp;
