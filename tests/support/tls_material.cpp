#include "tls_material.hpp"

#include "temp_dir.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <stdexcept>
#include <string>

namespace onymous::test {

namespace {

struct evp_pkey_free_t {
    void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct x509_free_t {
    void operator()(X509* cert) const { X509_free(cert); }
};
struct file_close_t {
    void operator()(std::FILE* file) const { std::fclose(file); }
};
struct extension_free_t {
    void operator()(X509_EXTENSION* ext) const { X509_EXTENSION_free(ext); }
};
using pkey_ptr = std::unique_ptr<EVP_PKEY, evp_pkey_free_t>;
using x509_ptr = std::unique_ptr<X509, x509_free_t>;
using file_ptr = std::unique_ptr<std::FILE, file_close_t>;
using extension_ptr = std::unique_ptr<X509_EXTENSION, extension_free_t>;

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string("test TLS material: ") + what + " failed");
}

pkey_ptr new_p256_key() {
    pkey_ptr key(EVP_EC_gen("P-256"));
    check(key != nullptr, "EVP_EC_gen(P-256)");
    return key;
}

file_ptr open_for_write(const std::filesystem::path& path) {
    file_ptr file(std::fopen(path.c_str(), "wb"));
    check(file != nullptr, "fopen");
    return file;
}

void write_key(const std::filesystem::path& path, EVP_PKEY* key) {
    auto file = open_for_write(path);
    check(PEM_write_PrivateKey(file.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
          "PEM_write_PrivateKey");
}

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    extension_ptr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

x509_ptr self_signed_for_localhost(EVP_PKEY* key) {
    x509_ptr cert(X509_new());
    check(cert != nullptr, "X509_new");
    check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1) == 1, "serial");
    // Back-dated an hour so that clock skew between processes never matters.
    check(X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 3600) != nullptr, "notAfter");
    check(X509_set_pubkey(cert.get(), key) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(cert.get());
    const auto* cn = reinterpret_cast<const unsigned char*>("localhost");
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, cn, -1, -1, 0) == 1, "CN");
    check(X509_set_issuer_name(cert.get(), name) == 1, "issuer");
    add_extension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
    add_extension(cert.get(), NID_basic_constraints, "critical,CA:TRUE");
    check(X509_sign(cert.get(), key, EVP_sha256()) > 0, "X509_sign");
    return cert;
}

}  // namespace

tls_files make_self_signed(const std::filesystem::path& dir, std::string_view stem) {
    tls_files files{dir / (std::string(stem) + ".crt.pem"), dir / (std::string(stem) + ".key.pem")};
    auto key = new_p256_key();
    auto cert = self_signed_for_localhost(key.get());
    write_key(files.private_key, key.get());
    auto file = open_for_write(files.certificate);
    check(PEM_write_X509(file.get(), cert.get()) == 1, "PEM_write_X509");
    return files;
}

void make_private_key(const std::filesystem::path& path) {
    auto key = new_p256_key();
    write_key(path, key.get());
}

const tls_files& shared_tls() {
    // Lives until the test process exits; its destructor removes the files.
    static temp_dir dir;
    static const tls_files files = make_self_signed(dir.path());
    return files;
}

}  // namespace onymous::test
