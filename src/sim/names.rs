//! Name pools for the generated people: international on purpose (accents, CJK, right-to-left scripts), so
//! the TUI's width and bidi handling get exercised by the demo data.

use super::rng::Rng;

/// A generated person: display name and the local part of their e-mail address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub local: String,
}

impl Person {
    fn new(name: &str, local: &str) -> Person {
        Person {
            name: name.to_string(),
            local: local.to_string(),
        }
    }
}

/// People whose names must appear in the demo, first (in this order) in the first organization.
pub fn featured() -> Vec<Person> {
    vec![
        Person::new("Zoë Müller", "zoe.muller"),
        Person::new("François Lefèvre", "francois.lefevre"),
        Person::new("山田 太郎", "taro.yamada"),
        Person::new("王芳", "fang.wang"),
        Person::new("محمد العلي", "mohammed.alali"),
        Person::new("דוד לוי", "david.levi"),
    ]
}

/// Latin-script cultures: first names and last names (ASCII folding gives the e-mail).
const LATIN: &[(&[&str], &[&str])] = &[
    (
        &[
            "Jürgen", "Anna", "Lukas", "Jörg", "Käthe", "Matthias", "Sophie", "Björn",
        ],
        &[
            "Schäfer", "Becker", "Groß", "Köhler", "Weiß", "Hoffmann", "Krüger", "Neumann",
        ],
    ),
    (
        &[
            "Amélie", "Hélène", "Jérôme", "Céline", "Benoît", "Gaël", "Noémie", "Loïc",
        ],
        &[
            "Dubois",
            "Lefèbvre",
            "Gérard",
            "Mercier",
            "Fournier",
            "Bérenger",
            "Rousseau",
            "Lambert",
        ],
    ),
    (
        &["José", "Lucía", "Íñigo", "Martín", "Begoña", "Sofía", "Ramón", "Maite"],
        &[
            "García",
            "Muñoz",
            "Peña",
            "Fernández",
            "Ibáñez",
            "Jiménez",
            "Ortega",
            "Núñez",
        ],
    ),
    (
        &["João", "Conceição", "Gonçalo", "Inês", "Tomé", "Leonor"],
        &["Gonçalves", "Simões", "Magalhães", "Araújo", "Brandão", "Conceição"],
    ),
    (
        &["Łukasz", "Małgorzata", "Paweł", "Zofia", "Wojciech", "Agnieszka"],
        &["Wójcik", "Kowalczyk", "Żak", "Nowak", "Dąbrowski", "Szymańska"],
    ),
    (
        &["Søren", "Åsa", "Bjørn", "Ingrid", "Mikael", "Linnéa"],
        &["Sørensen", "Åberg", "Lindqvist", "Ødegaard", "Berg", "Ström"],
    ),
    (
        &["Ayşe", "Çağrı", "Gülşen", "İbrahim", "Şükrü", "Elif"],
        &["Yılmaz", "Öztürk", "Çelik", "Şahin", "Doğan", "Aydın"],
    ),
    (
        &["Jiří", "Tereza", "Pavel", "Kateřina", "Ondřej", "Lucie"],
        &["Novák", "Dvořáková", "Černý", "Procházka", "Kučera", "Veselá"],
    ),
    (
        &["Oliver", "Emma", "Liam", "Olivia", "Noah", "Grace", "Siobhán", "Seán"],
        &[
            "Smith", "O'Brien", "Johnson", "Taylor", "Walsh", "Brown", "Murphy", "Clarke",
        ],
    ),
    (
        &["Giulia", "Niccolò", "Lorenzo", "Chiara", "Matteo", "Francesca"],
        &["Rossi", "Bianchi", "Esposito", "Ricci", "Romano", "Colombo"],
    ),
];

/// Other scripts: (name as written, e-mail local part).
const OTHER: &[(&str, &str)] = &[
    ("佐藤 花子", "hanako.sato"),
    ("鈴木 一郎", "ichiro.suzuki"),
    ("高橋 美咲", "misaki.takahashi"),
    ("田中 健", "ken.tanaka"),
    ("李娜", "na.li"),
    ("张伟", "wei.zhang"),
    ("刘洋", "yang.liu"),
    ("陈静", "jing.chen"),
    ("김민준", "minjun.kim"),
    ("이서연", "seoyeon.lee"),
    ("박지훈", "jihoon.park"),
    ("فاطمة الزهراء", "fatima.alzahra"),
    ("أحمد حسن", "ahmed.hassan"),
    ("ليلى منصور", "layla.mansour"),
    ("שרה כהן", "sarah.cohen"),
    ("יוסף מזרחי", "yosef.mizrahi"),
    ("Дмитрий Иванов", "dmitry.ivanov"),
    ("Ольга Смирнова", "olga.smirnova"),
    ("Νίκος Παπαδόπουλος", "nikos.papadopoulos"),
    ("Ελένη Γεωργίου", "eleni.georgiou"),
    ("राहुल शर्मा", "rahul.sharma"),
    ("ประยุทธ์ ศรีสุข", "prayut.srisuk"),
    ("Nguyễn Văn An", "an.nguyen"),
    ("Trần Thị Hương", "huong.tran"),
];

/// Folds common Latin letters with diacritics to ASCII and keeps `[a-z0-9.-]`.
pub fn ascii_fold(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars().flat_map(char::to_lowercase) {
        let r: &str = match c {
            'á' | 'à' | 'â' | 'ä' | 'ã' | 'å' | 'ą' | 'ā' => "a",
            'é' | 'è' | 'ê' | 'ë' | 'ę' | 'ě' | 'ē' => "e",
            'í' | 'ì' | 'î' | 'ï' | 'ı' | 'ī' => "i",
            'ó' | 'ò' | 'ô' | 'ö' | 'õ' | 'ø' | 'ő' => "o",
            'ú' | 'ù' | 'û' | 'ü' | 'ů' | 'ű' => "u",
            'ç' | 'ć' | 'č' => "c",
            'ñ' | 'ń' | 'ň' => "n",
            'ś' | 'š' | 'ş' => "s",
            'ź' | 'ż' | 'ž' => "z",
            'ł' => "l",
            'ř' => "r",
            'ý' => "y",
            'ğ' => "g",
            'ď' => "d",
            'ť' => "t",
            'ß' => "ss",
            'æ' => "ae",
            'œ' => "oe",
            'ð' => "d",
            'þ' => "th",
            ' ' | '.' => ".",
            '-' => "-",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "",
        };
        out.push_str(r);
    }
    out
}

/// Draws one person.
pub fn draw(rng: &mut Rng) -> Person {
    if rng.chance(1, 3) {
        let (name, local) = rng.pick(OTHER);
        Person::new(name, local)
    } else {
        let (firsts, lasts) = rng.pick(LATIN);
        let first = rng.pick(firsts);
        let last = rng.pick(lasts);
        let name = format!("{first} {last}");
        Person {
            local: format!("{}.{}", ascii_fold(first), ascii_fold(last)),
            name,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding() {
        assert_eq!(ascii_fold("Zoë"), "zoe");
        assert_eq!(ascii_fold("Łukasz"), "lukasz");
        assert_eq!(ascii_fold("O'Brien"), "obrien");
        assert_eq!(ascii_fold("Groß"), "gross");
    }
}
