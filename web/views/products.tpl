% rebase('layout')
% w = lambda code: _(product_words[code]) if code in product_words else code
% if error:
<p class="flash error" id="products-error">{{error}}</p>
% end
% if errors:
<div class="table-scroll">
<table id="rate-errors">
  <tr><th>{{_('Line')}}</th><th>{{_('Column')}}</th><th>{{_('Problem')}}</th></tr>
  % for e in errors:
  <tr><td class="num">{{e.line}}</td><td>{{e.column}} {{'(' + e.header + ')' if e.header else ''}}</td><td>{{words.problem(_, e)}}</td></tr>
  % end
</table>
</div>
% end
% if report:
<p class="flash ok" id="rates-report">{{report['file']}}: {{_('{rows} rates imported.').format(rows=report['rows'])}}
  {{', '.join('%s (%d)' % (code, n) for code, n in report['products'].items())}}</p>
% end
<h2>{{_('Premium trial calculation')}}</h2>
% f = form
<form method="post" action="/products/quote" class="card" id="quote-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <div class="row">
    <label>{{_('Main product')}}<select name="product" id="quote-product">
      % for p in mains:
      <option value="{{p['code']}}" {{'selected' if f.get('product') == p['code'] else ''}}>{{p['name']}} ({{p['code']}})</option>
      % end
    </select></label>
    <label>{{_('Age')}}<input name="age" id="quote-age" inputmode="numeric" value="{{f.get('age', '')}}" required></label>
    <label>{{_('Gender')}}<select name="gender" id="quote-gender">
      <option value="">—</option>
      % for g in ('M', 'F'):
      <option value="{{g}}" {{'selected' if f.get('gender') == g else ''}}>{{w(g)}}</option>
      % end
    </select></label>
  </div>
  <div class="row">
    <label>{{_('Sum insured (yuan)')}}<input name="sum_insured" id="quote-sum" inputmode="decimal" value="{{f.get('sum_insured', '')}}"></label>
    <label>{{_('Units')}}<input name="units" id="quote-units" inputmode="numeric" value="{{f.get('units', '')}}"></label>
    <label>{{_('Term (years, 0 whole life)')}}<input name="term" id="quote-term" inputmode="numeric" value="{{f.get('term', '')}}"></label>
    <label>{{_('Payment period (years, 1 single premium)')}}<input name="pay_years" id="quote-pay-years" inputmode="numeric" value="{{f.get('pay_years', '')}}"></label>
  </div>
  % if riders:
  <div class="row">
    % for r in riders:
    <label>{{r['name']}} · {{_('Units') if r['rate_basis'] == 'per_unit' else _('Sum insured (yuan)')}}<input name="rider_{{r['code']}}" id="quote-rider-{{r['code']}}" inputmode="decimal" value="{{f.get('rider_' + r['code'], '')}}"></label>
    % end
  </div>
  % end
  <button type="submit" id="quote-submit">{{_('Calculate')}}</button>
</form>
% if quote:
<div class="table-scroll">
<table id="quote-result">
  <tr><th>{{_('Product')}}</th><th class="num">{{_('Sum insured (yuan)')}}</th><th class="num">{{_('Rate')}}</th><th class="num">{{_('Premium (yuan)')}}</th></tr>
  % for line in quote.lines:
  <tr data-code="{{line.code}}"><td>{{line.name}} · {{w(line.kind)}}</td><td class="num">{{line.sum_insured}}{{(' / ' + _('{units} units').format(units=line.units)) if line.units else ''}}</td>
    <td class="num">{{line.rate}} {{w(line.rate_basis)}}</td><td class="num premium">{{line.premium}}</td></tr>
  % end
  <tr><th>{{_('Total premium')}}</th><td></td><td></td><td class="num" id="quote-total"><strong>{{quote.total}}</strong></td></tr>
</table>
</div>
<p class="meta">{{_('Age {age}, term {term} years, paid over {pay_years} years (term 0: whole life).').format(age=quote.age, term=quote.term, pay_years=quote.pay_years)}}</p>
% end
<h2>{{_('Products')}}</h2>
<div class="table-scroll">
<table id="products">
  <tr><th>{{_('Code')}}</th><th>{{_('Name')}}</th><th>{{_('Kind')}}</th><th>{{_('Rates')}}</th><th>{{_('Phone key')}}</th><th>{{_('Sold with')}}</th></tr>
  % for p in products:
  <tr data-code="{{p['code']}}"><td>{{p['code']}}</td><td>{{p['name']}}</td><td>{{w(p['kind'])}}</td>
    <td>{{_('a unit is {amount} yuan').format(amount=p['unit_amount']) if p['rate_basis'] == 'per_unit' else w(p['rate_basis'])}} · {{_('{n} rows').format(n=p['rates'])}}</td>
    <td>{{p['ivr_key'] or '—'}}</td>
    <td>{{'; '.join('%s ≤ %s %s' % (r['main'], r['limit_ratio'], w(r['limit_basis'])) for r in p['sold_with'])}}</td></tr>
  % end
</table>
</div>
% if ctx.can('import'):
<h2>{{_('Import rate tables')}}</h2>
<form method="post" action="/products/rates" enctype="multipart/form-data" class="card row" id="rates-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('CSV or XLSX file')}}<input type="file" name="file" id="rates-file" accept=".csv,.xlsx" required></label>
  <button type="submit" id="rates-submit">{{_('Import')}}</button>
</form>
<p class="meta">{{_('Columns: 险种代码, 性别, 年龄, 保险期间, 缴费期间, 保额下限, 费率 (or their field names). Each product in the file gets exactly its rows; the whole file is imported or nothing.')}}</p>
% end
% if ctx.can('settings'):
% pf = get('product_form', {})
<h2>{{_('Add or change a product')}}</h2>
<form method="post" action="/products" class="card row" id="product-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Code')}}<input name="code" id="product-code" value="{{pf.get('code', '')}}" required></label>
  <label>{{_('Name')}}<input name="name" id="product-name" value="{{pf.get('name', '')}}" required></label>
  <label>{{_('Kind')}}<select name="kind">
    % for k in ('main', 'rider'):
    <option value="{{k}}" {{'selected' if pf.get('kind') == k else ''}}>{{w(k)}}</option>
    % end
  </select></label>
  <label>{{_('Rates')}}<select name="rate_basis">
    % for b in ('per_thousand', 'per_unit'):
    <option value="{{b}}" {{'selected' if pf.get('rate_basis') == b else ''}}>{{w(b)}}</option>
    % end
  </select></label>
  <label>{{_('Sum insured of a unit (yuan)')}}<input name="unit_amount" value="{{pf.get('unit_amount', '1000')}}"></label>
  <label>{{_('Phone key (1-8, empty: not offered)')}}<input name="ivr_key" id="product-ivr-key" value="{{pf.get('ivr_key', '')}}"></label>
  <button type="submit" id="product-submit">{{_('Save')}}</button>
</form>
% rf = get('rider_form', {})
<h2>{{_('Let a rider go with a main product')}}</h2>
<form method="post" action="/products/riders" class="card row" id="rider-form">
  <input type="hidden" name="csrf" value="{{ctx.csrf}}">
  <label>{{_('Rider')}}<input name="rider" id="rider-code" value="{{rf.get('rider', '')}}" required></label>
  <label>{{_('Main product')}}<input name="main" id="rider-main" value="{{rf.get('main', '')}}" required></label>
  <label>{{_('At most')}}<input name="limit_ratio" id="rider-ratio" value="{{rf.get('limit_ratio', '')}}" required></label>
  <label>{{_('Limit basis')}}<select name="limit_basis">
    % for b in ('main_sum', 'main_premium'):
    <option value="{{b}}" {{'selected' if rf.get('limit_basis') == b else ''}}>{{w(b)}}</option>
    % end
  </select></label>
  <button type="submit" id="rider-submit">{{_('Save')}}</button>
</form>
% end
